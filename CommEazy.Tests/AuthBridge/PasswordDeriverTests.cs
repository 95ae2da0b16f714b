using System.Security.Cryptography;
using System.Text;
using CommEazy.AuthBridge;
using CommEazy.AuthBridge.Accounts;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.Tests.AuthBridge;

public sealed class PasswordDeriverTests
{
    private const string Key = "0123456789abcdef0123456789abcdef-test-key";

    [Fact]
    public void Derive_Uid_IsBase64UrlOfHmacSha256OverUidZeroEpoch()
    {
        // Arrange
        var deriver = Deriver(epoch: 7);
        var expected = Base64UrlEncoder.Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), "Ab\u00e9\07"u8.ToArray()));

        // Act
        var password = deriver.Derive("Ab\u00e9");

        // Assert
        Assert.Equal(expected, password);
        Assert.Matches(@"^[A-Za-z0-9_-]{43}\z", password);
    }

    [Fact]
    public void Derive_SameUidTwice_SamePassword()
    {
        // Act
        var first = Deriver(1).Derive("uid-1");
        var second = Deriver(1).Derive("uid-1");

        // Assert
        Assert.Equal(first, second);
    }

    [Fact]
    public void Derive_EpochBumped_DifferentPassword()
    {
        // Act
        var before = Deriver(1).Derive("uid-1");
        var after = Deriver(2).Derive("uid-1");

        // Assert
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Derive_UidsDifferingInCaseOnly_DifferentPasswords()
    {
        // Act
        var upper = Deriver(1).Derive("Ab");
        var lower = Deriver(1).Derive("ab");

        // Assert
        Assert.NotEqual(upper, lower);
    }

    private static PasswordDeriver Deriver(int epoch) =>
        new(Microsoft.Extensions.Options.Options.Create(new AuthBridgeOptions
        {
            PasswordKey = Key, PasswordEpoch = epoch, WebSocketUrl = "ws://localhost/xmpp-websocket", XmppDomain = "commeazy.test",
        }));
}
