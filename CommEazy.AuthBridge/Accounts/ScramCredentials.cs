using System.Security.Cryptography;
using System.Text;

namespace CommEazy.AuthBridge.Accounts;

/// <summary>
/// What Prosody's <c>internal_hashed</c> auth stores for SCRAM-SHA-1 instead of the password:
/// salted = PBKDF2-HMAC-SHA1(password, salt, iterations); stored_key = SHA1(HMAC(salted, "Client Key"));
/// server_key = HMAC(salted, "Server Key"); both kept as lowercase hex. The salt is stored as text (Prosody
/// uses a UUID) and its UTF-8 bytes are the PBKDF2 salt.
/// </summary>
internal sealed record ScramCredentials(string Salt, int IterationCount, string StoredKeyHex, string ServerKeyHex)
{
    /// <summary>Prosody's default iteration count.</summary>
    public const int DefaultIterationCount = 10000;

    public static ScramCredentials Derive(string password, string salt, int iterationCount = DefaultIterationCount)
    {
        var (clientKey, serverKey) = Keys(password, salt, iterationCount);
        return new ScramCredentials(salt, iterationCount,
            Convert.ToHexStringLower(SHA1.HashData(clientKey)), Convert.ToHexStringLower(serverKey));
    }

    /// <summary>The client's SCRAM keys for <paramref name="password"/>: ClientKey = HMAC(salted, "Client Key"), ServerKey likewise.</summary>
    public static (byte[] ClientKey, byte[] ServerKey) Keys(string password, string salt, int iterationCount)
    {
        var salted = Rfc2898DeriveBytes.Pbkdf2(
            Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt), iterationCount, HashAlgorithmName.SHA1, SHA1.HashSizeInBytes);
        return (HMACSHA1.HashData(salted, "Client Key"u8), HMACSHA1.HashData(salted, "Server Key"u8));
    }

    /// <summary>Fresh credentials with a new random salt, in Prosody's format.</summary>
    public static ScramCredentials Create(string password) => Derive(password, Guid.NewGuid().ToString("D"));

    /// <summary>True when <paramref name="password"/> is the one these credentials were derived from.</summary>
    public bool Verify(string password)
    {
        var expected = Derive(password, Salt, IterationCount);
        return CryptographicOperations.FixedTimeEquals(
                   Encoding.ASCII.GetBytes(expected.StoredKeyHex), Encoding.ASCII.GetBytes(StoredKeyHex.ToLowerInvariant()))
               && CryptographicOperations.FixedTimeEquals(
                   Encoding.ASCII.GetBytes(expected.ServerKeyHex), Encoding.ASCII.GetBytes(ServerKeyHex.ToLowerInvariant()));
    }
}
