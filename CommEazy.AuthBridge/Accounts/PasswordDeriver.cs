using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.AuthBridge.Accounts;

/// <summary>
/// Derives a user's XMPP password instead of storing it: base64url(HMAC-SHA256(key, UTF-8(uid) ‖ 0x00 ‖
/// ASCII-decimal(epoch))), no padding, with key = UTF-8(<c>AuthBridge:PasswordKey</c>). Every device of a
/// user gets the same password; bumping <c>AuthBridge:PasswordEpoch</c> rotates all of them.
/// </summary>
internal sealed class PasswordDeriver(IOptions<AuthBridgeOptions> options)
{
    public string Derive(string uid)
    {
        var epoch = options.Value.PasswordEpoch.ToString(CultureInfo.InvariantCulture);
        var message = new byte[Encoding.UTF8.GetByteCount(uid) + 1 + epoch.Length];
        var written = Encoding.UTF8.GetBytes(uid, message);
        message[written] = 0x00;
        Encoding.ASCII.GetBytes(epoch, message.AsSpan(written + 1));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.PasswordKey), message);
        return Base64UrlEncoder.Encode(mac);
    }
}
