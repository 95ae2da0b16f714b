using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CommEazy.Push;

/// <summary>
/// The push registrations table in Prosody's database, shared by the AuthBridge (which owns it: creates it at start,
/// registers and erases) and the PushGateway (which resolves a publish's node and secret to a device and removes
/// tokens the provider rejected). One row per device token; the XEP-0357 <c>secret</c> is stored only as its SHA-256.
/// </summary>
public static partial class PushRegistrationTable
{
    public const string Name = "commeazy_push_registrations";

    /// <summary>Idempotent DDL; run under an advisory lock (concurrent <c>CREATE … IF NOT EXISTS</c> can still collide).</summary>
    public const string CreateSql = $"""
        CREATE TABLE IF NOT EXISTS {Name} (
            node            text        PRIMARY KEY,
            secret_sha256   bytea       NOT NULL,
            owner           text        NOT NULL,
            platform        text        NOT NULL CHECK (platform IN ('apns', 'apns-voip', 'fcm')),
            token           text        NOT NULL,
            app_id          text        NOT NULL,
            environment     text        NOT NULL CHECK (environment IN ('sandbox', 'production')),
            created_at      timestamptz NOT NULL,
            last_success_at timestamptz NULL,
            UNIQUE (platform, token)
        );
        CREATE INDEX IF NOT EXISTS {Name}_owner ON {Name} (owner);
        """;

    /// <summary>Key of the advisory lock held while the table is created.</summary>
    public const long SchemaLockKey = 0x436f6d6d45617a79; // "CommEazy"

    /// <summary>Random bytes in a node (22 base64url characters).</summary>
    public const int NodeBytes = 16;

    /// <summary>Random bytes in a secret (43 base64url characters).</summary>
    public const int SecretBytes = 32;

    public const int NodeLength = 22;
    public const int SecretLength = 43;

    /// <summary>A fresh node: an unguessable identifier of one registration.</summary>
    public static string NewNode() => Base64Url(NodeBytes);

    /// <summary>A fresh secret: what Prosody sends back in every publish to prove the registration is the app's.</summary>
    public static string NewSecret() => Base64Url(SecretBytes);

    /// <summary>The stored form of a secret. SHA-256 suffices: the secret is 256 random bits, not a password.</summary>
    public static byte[] HashSecret(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Whether <paramref name="secret"/> matches the stored hash, in constant time.</summary>
    public static bool SecretMatches(string secret, ReadOnlySpan<byte> storedHash) =>
        CryptographicOperations.FixedTimeEquals(HashSecret(secret), storedHash);

    /// <summary>Whether a string has the shape of a node we hand out.</summary>
    public static bool IsNode(string? value) => value is { Length: NodeLength } && Base64UrlText().IsMatch(value);

    private static string Base64Url(int bytes) => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Base64UrlText();
}
