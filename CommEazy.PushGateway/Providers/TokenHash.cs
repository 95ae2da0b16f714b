using System.Security.Cryptography;
using System.Text;

namespace CommEazy.PushGateway.Providers;

/// <summary>The only form in which a device token may appear in a log line: the first 8 hex characters of its SHA-256.</summary>
internal static class TokenHash
{
    public static string Of(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return "none";
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(token.Length);
        var buffer = maxBytes <= 1024 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(token, buffer);
        SHA256.HashData(buffer[..length], hash);
        return Convert.ToHexStringLower(hash[..4]);
    }
}
