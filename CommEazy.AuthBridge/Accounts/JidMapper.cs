using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace CommEazy.AuthBridge.Accounts;

/// <summary>
/// Maps a Firebase uid to an XMPP localpart, injectively. Firebase uids are case-sensitive, but nodeprep
/// case-folds localparts, so uids cannot be used as they are. The escape scheme, over the uid's UTF-8 bytes:
/// <list type="bullet">
/// <item><c>a</c>–<c>z</c> and <c>0</c>–<c>9</c> pass through;</item>
/// <item><c>A</c>–<c>Z</c> become <c>.</c> followed by the lowercase letter (<c>Ab</c> → <c>.ab</c>);</item>
/// <item>every other byte becomes <c>-</c> followed by two lowercase hex digits (<c>@</c> → <c>-40</c>, <c>é</c> → <c>-c3-a9</c>).</item>
/// </list>
/// Decoding reads one character and knows how many follow, so the map is injective; the output holds only
/// <c>[a-z0-9.-]</c>, which nodeprep leaves unchanged. Unicode is not normalised: NFC and NFD spellings of the
/// same text are different uids and get different localparts. A uid that is empty, is not valid UTF-16, or
/// maps to more than <see cref="MaxLocalpartBytes"/> bytes (the XMPP limit) cannot be mapped.
/// </summary>
internal static class JidMapper
{
    public const int MaxLocalpartBytes = 1023;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryMapUid(string uid, [NotNullWhen(true)] out string? localpart)
    {
        localpart = null;
        if (string.IsNullOrEmpty(uid))
        {
            return false;
        }
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(uid);
        }
        catch (EncoderFallbackException)
        {
            return false; // a lone surrogate: replacing it would make two uids collide
        }
        if (bytes.Length > MaxLocalpartBytes)
        {
            return false;
        }

        var builder = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9')
            {
                builder.Append((char)b);
            }
            else if (b is >= (byte)'A' and <= (byte)'Z')
            {
                builder.Append('.').Append((char)(b + ('a' - 'A')));
            }
            else
            {
                builder.Append('-').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
        }
        if (builder.Length > MaxLocalpartBytes)
        {
            return false;
        }
        localpart = builder.ToString();
        return true;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
}
