using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace CommEazy.Cluster;

/// <summary>
/// The opaque user key <c>u</c> (DESIGN.md §3): lowercase hex of the first 16 bytes of
/// HMAC-SHA-256(routing key, UTF-8 bare JID). Apps carry it in the WebSocket URL (<c>?u=</c>) so the Edge can
/// send them to their home node without a phone number, uid or JID ever showing up in a URL or an access log.
/// Prosody (<c>mod_commeazy_cluster</c>) derives the same key; <c>containers/prosody/modules/testdata/home-vectors.json</c>
/// holds the shared test vectors.
/// </summary>
public static class UserKey
{
    /// <summary>Length of a user key in characters (16 bytes as hex).</summary>
    public const int Length = 32;

    /// <summary>A routing key shorter than this (in UTF-8 bytes) is refused by the services at startup.</summary>
    public const int MinRoutingKeyLength = 32;

    private const int KeyBytes = Length / 2;
    private const int StackLimit = 512;

    /// <summary>
    /// Derives <c>u</c> for <paramref name="bareJid"/>, which must be in the form Prosody uses for the account
    /// (<c>localpart@domain</c>, nodeprepped: the AuthBridge's localparts and domain are lowercase already).
    /// </summary>
    public static string Derive(string routingKey, string bareJid)
    {
        ArgumentException.ThrowIfNullOrEmpty(routingKey);
        ArgumentException.ThrowIfNullOrEmpty(bareJid);
        byte[]? rented = null;
        try
        {
            var keyLength = Encoding.UTF8.GetByteCount(routingKey);
            var jidLength = Encoding.UTF8.GetByteCount(bareJid);
            var total = keyLength + jidLength;
            Span<byte> buffer = total <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(total));
            var key = buffer[..Encoding.UTF8.GetBytes(routingKey, buffer)];
            var jid = buffer.Slice(keyLength, Encoding.UTF8.GetBytes(bareJid, buffer[keyLength..]));
            return Derive(key, jid);
        }
        finally
        {
            if (rented is not null)
            {
                CryptographicOperations.ZeroMemory(rented); // it held the routing key
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Derives <c>u</c> from the routing key's bytes and the bare JID's UTF-8 bytes.</summary>
    public static string Derive(ReadOnlySpan<byte> routingKey, ReadOnlySpan<byte> bareJidUtf8)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(routingKey, bareJidUtf8, mac);
        return Convert.ToHexStringLower(mac[..KeyBytes]);
    }

    /// <summary>True when <paramref name="candidate"/> looks like a user key: exactly 32 lowercase hex characters.</summary>
    public static bool IsValid(ReadOnlySpan<char> candidate)
    {
        if (candidate.Length != Length)
        {
            return false;
        }
        foreach (var c in candidate)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }
        return true;
    }
}
