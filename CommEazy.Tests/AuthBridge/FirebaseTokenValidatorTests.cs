using System.Security.Cryptography;
using System.Text;
using CommEazy.AuthBridge.DevTokens;
using CommEazy.AuthBridge.Firebase;
using CommEazy.Tests.AuthBridge.Fakes;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.Tests.AuthBridge;

/// <summary>Every Firebase rule rejects the token forged to break it, with the reason a client is told.</summary>
public sealed class FirebaseTokenValidatorTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private readonly TestFirebase _firebase = new(Now);

    public void Dispose() => _firebase.Dispose();

    [Fact]
    public async Task ValidateAsync_ValidToken_ReturnsUid()
    {
        // Arrange
        var token = _firebase.Sign(_firebase.ValidClaims("AbC-uid_42"));

        // Act
        var outcome = await _firebase.Validator.ValidateAsync(token, TestContext.Current.CancellationToken);

        // Assert
        Assert.Null(outcome.Rejection);
        Assert.Equal("AbC-uid_42", outcome.Uid);
    }

    [Theory]
    [InlineData("alg none", "unsupported algorithm")]
    [InlineData("HS256 keyed with the RSA public key", "unsupported algorithm")]
    [InlineData("unknown kid", "unknown signing key")]
    [InlineData("missing kid", "missing key id")]
    [InlineData("signed by another key under the known kid", "invalid signature")]
    [InlineData("payload swapped after signing", "invalid signature")]
    [InlineData("wrong aud", "wrong audience")]
    [InlineData("wrong iss", "wrong issuer")]
    [InlineData("expired", "token expired")]
    [InlineData("no exp", "missing expiry")]
    [InlineData("future iat", "issued in the future")]
    [InlineData("no iat", "missing issued-at")]
    [InlineData("future auth_time", "auth_time in the future")]
    [InlineData("no auth_time", "missing auth_time")]
    [InlineData("empty sub", "missing subject")]
    [InlineData("sub of 129 chars", "subject too long")]
    [InlineData("garbage", "malformed token")]
    [InlineData("three dots of nothing", "malformed token")]
    public async Task ValidateAsync_ForgedToken_RejectedWithReason(string forgery, string expectedDetail)
    {
        // Arrange
        var token = Forge(forgery);

        // Act
        var outcome = await _firebase.Validator.ValidateAsync(token, TestContext.Current.CancellationToken);

        // Assert
        Assert.Null(outcome.Uid);
        Assert.NotNull(outcome.Rejection);
        Assert.Equal(expectedDetail, outcome.Rejection.Value.Detail());
    }

    [Theory]
    [InlineData("exp", -20)]
    [InlineData("iat", 20)]
    [InlineData("auth_time", 20)]
    public async Task ValidateAsync_WithinClockSkew_Accepted(string claim, int offsetSeconds)
    {
        // Arrange: 30 s of skew is allowed, so 20 s past exp or 20 s before iat still passes.
        var claims = _firebase.ValidClaims();
        claims[claim] = Now.ToUnixTimeSeconds() + offsetSeconds;
        var token = _firebase.Sign(claims);

        // Act
        var outcome = await _firebase.Validator.ValidateAsync(token, TestContext.Current.CancellationToken);

        // Assert
        Assert.Null(outcome.Rejection);
    }

    [Fact]
    public async Task ValidateAsync_KeysNeverFetched_ReportsSigningKeysUnavailable()
    {
        // Arrange
        _firebase.Keys.Status = System.Net.HttpStatusCode.ServiceUnavailable;
        var token = _firebase.Sign(_firebase.ValidClaims());

        // Act
        var outcome = await _firebase.Validator.ValidateAsync(token, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(TokenRejection.SigningKeysUnavailable, outcome.Rejection);
    }

    [Fact]
    public async Task ValidateAsync_DevIssuerOnAndGoogleUnreachable_AcceptsDevTokensOnly()
    {
        // Arrange: an offline development machine.
        _firebase.Keys.Status = System.Net.HttpStatusCode.ServiceUnavailable;
        using var devIssuer = new DevTokenIssuer(_firebase.Options, _firebase.Time);
        var validator = new FirebaseTokenValidator(_firebase.KeySource, _firebase.Options, _firebase.Time, devIssuer);
        var devToken = devIssuer.Issue("dev-user", "+31612345678");
        var otherToken = _firebase.Sign(_firebase.ValidClaims());

        // Act
        var dev = await validator.ValidateAsync(devToken, TestContext.Current.CancellationToken);
        var other = await validator.ValidateAsync(otherToken, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal("dev-user", dev.Uid);
        Assert.Equal(TokenRejection.UnknownSigningKey, other.Rejection);
    }

    [Fact]
    public async Task ValidateAsync_DevIssuerOnAndKidUnknown_RejectsWithoutFetchingKeys()
    {
        // Arrange: a token from an earlier run of the dev issuer (its key is regenerated at every start), and a key URL
        // that would answer with a key for that very kid: a development AuthBridge must not even ask.
        using var earlierRun = new DevTokenIssuer(_firebase.Options, _firebase.Time);
        using var devIssuer = new DevTokenIssuer(_firebase.Options, _firebase.Time);
        _firebase.Keys.Jwks = System.Text.Json.JsonSerializer.Serialize(earlierRun.GetKeySet(), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        var validator = new FirebaseTokenValidator(_firebase.KeySource, _firebase.Options, _firebase.Time, devIssuer);
        var staleToken = earlierRun.Issue("dev-user", "+31612345678");

        // Act
        var outcome = await validator.ValidateAsync(staleToken, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(TokenRejection.UnknownSigningKey, outcome.Rejection);
        Assert.Equal(0, _firebase.Keys.Requests);
    }

    [Fact]
    public async Task ValidateAsync_DevTokenWithoutDevIssuer_Rejected()
    {
        // Arrange: a production validator never trusts a development key.
        using var devIssuer = new DevTokenIssuer(_firebase.Options, _firebase.Time);
        var devToken = devIssuer.Issue("dev-user", "+31612345678");

        // Act
        var outcome = await _firebase.Validator.ValidateAsync(devToken, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(TokenRejection.UnknownSigningKey, outcome.Rejection);
    }

    private string Forge(string forgery)
    {
        var claims = _firebase.ValidClaims();
        var now = Now.ToUnixTimeSeconds();
        switch (forgery)
        {
            case "alg none":
                return TestFirebase.Create(claims, credentials: null);
            case "HS256 keyed with the RSA public key":
                var publicKey = new SymmetricSecurityKey(_firebase.Rsa.ExportSubjectPublicKeyInfo()) { KeyId = TestFirebase.KeyId };
                return TestFirebase.Create(claims, new SigningCredentials(publicKey, SecurityAlgorithms.HmacSha256));
            case "unknown kid":
                return _firebase.Sign(claims, kid: "0000000000000000000000000000000000000000");
            case "missing kid":
                return _firebase.Sign(claims, kid: null);
            case "signed by another key under the known kid":
                using (var other = RSA.Create(2048))
                {
                    return _firebase.Sign(claims, rsa: other);
                }
            case "payload swapped after signing":
                var parts = _firebase.Sign(claims).Split('.');
                claims["sub"] = "someone-else";
                parts[1] = _firebase.Sign(claims).Split('.')[1];
                return string.Join('.', parts);
            case "wrong aud":
                claims["aud"] = "another-project";
                break;
            case "wrong iss":
                claims["iss"] = "https://securetoken.google.com/another-project";
                break;
            case "expired":
                claims["exp"] = now - 3600;
                break;
            case "no exp":
                claims.Remove("exp");
                break;
            case "future iat":
                claims["iat"] = now + 600;
                break;
            case "no iat":
                claims.Remove("iat");
                break;
            case "future auth_time":
                claims["auth_time"] = now + 600;
                break;
            case "no auth_time":
                claims.Remove("auth_time");
                break;
            case "empty sub":
                claims["sub"] = "";
                break;
            case "sub of 129 chars":
                claims["sub"] = new string('a', 129);
                break;
            case "garbage":
                return "not-a-jwt-at-all";
            case "three dots of nothing":
                return Convert.ToBase64String(Encoding.UTF8.GetBytes("{}")) + "..";
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery), forgery, null);
        }
        return _firebase.Sign(claims);
    }
}
