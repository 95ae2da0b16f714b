using System.Text;
using CommEazy.AuthBridge.Accounts;

namespace CommEazy.Tests.AuthBridge;

/// <summary>uid → localpart must be injective (uids are case-sensitive, localparts are case-folded) and nodeprep-stable.</summary>
public sealed class JidMapperTests
{
    /// <summary>Pairs that collide under case folding, Unicode normalisation or naive escaping.</summary>
    public static readonly string[] AdversarialUids =
    [
        "Ab", "aB", "ab", "AB", "a.b", ".ab", "a-b", "-ab", "a-62", "a.B", "a..b", "a--b", "A", "a", ".a", "-41",
        "\u00e9", "e\u0301", "\u00c9", "E\u0301",            // é NFC / NFD, É NFC / NFD
        "\u0131", "i", "I", "\u0130", "\u0069\u0307",       // Turkish dotless ı, i, I, dotted İ, i + combining dot
        "\uff21", "\u212a", "K", "k",                        // fullwidth Ａ, Kelvin sign vs K
        "user@example.com", "user/resource", "user\\x", "a b", "a\tb", "a\u0000b", "a\u00a0b", "'\"<>&:",
        "\ud83d\ude00", "\u4e2d\u6587", "\u0645\u0631\u062d\u0628\u0627", "\u200b", "\u200d", "\ufeff",
        ".", "-", "..", "--", "0", "00", "-30", "@", "/", "=", "_", "~",
        new string('a', 128), new string('A', 128), new string('a', 127) + "A", "Z" + new string('z', 127),
    ];

    [Fact]
    public void TryMapUid_AdversarialUids_GivesDistinctLocalparts()
    {
        // Arrange
        var distinctUids = AdversarialUids.Distinct(StringComparer.Ordinal).ToArray();

        // Act
        var localparts = distinctUids.Select(Map).ToArray();

        // Assert
        Assert.Equal(distinctUids.Length, localparts.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void TryMapUid_AdversarialUids_RoundTripsThroughDecode()
    {
        foreach (var uid in AdversarialUids)
        {
            // Act
            var decoded = Decode(Map(uid));

            // Assert
            Assert.Equal(uid, decoded);
        }
    }

    [Fact]
    public void TryMapUid_RandomUids_OnlyNodeprepStableCharactersAndRoundTrip()
    {
        // Arrange: seeded, so a failure reproduces.
        var random = new Random(20260115);
        var alphabet = "aAzZ09.-_@/é\u0131\u0130\u00df\u4e2d\ud83d\ude00 ".EnumerateRunes().ToArray();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);

        for (var i = 0; i < 5000; i++)
        {
            var uid = string.Concat(Enumerable.Range(0, random.Next(1, 20)).Select(_ => alphabet[random.Next(alphabet.Length)].ToString()));

            // Act
            var localpart = Map(uid);

            // Assert
            Assert.Matches(@"^[a-z0-9.-]+\z", localpart);
            Assert.Equal(uid, Decode(localpart));
            Assert.True(!seen.TryGetValue(localpart, out var previous) || previous == uid, $"collision on {localpart}");
            seen[localpart] = uid;
        }
    }

    [Theory]
    [InlineData("abc123", "abc123")]
    [InlineData("Ab", ".ab")]
    [InlineData("aB", "a.b")]
    [InlineData("user@x", "user-40x")]
    [InlineData("a.b-c", "a-2eb-2dc")]
    [InlineData("\u00e9", "-c3-a9")]
    [InlineData("e\u0301", "e-cc-81")]
    [InlineData("\u0131", "-c4-b1")]
    public void TryMapUid_KnownUid_GivesDocumentedLocalpart(string uid, string expected)
    {
        // Act
        var mapped = JidMapper.TryMapUid(uid, out var localpart);

        // Assert
        Assert.True(mapped);
        Assert.Equal(expected, localpart);
    }

    [Fact]
    public void TryMapUid_EmptyOrNotValidUtf16_CannotBeMapped()
    {
        // Arrange: built in code, since theory data would be serialised (and a lone surrogate replaced).
        string[] uids = ["", "\ud800", "a\udc00b", "\ude00\ud83d"];

        foreach (var uid in uids)
        {
            // Act
            var mapped = JidMapper.TryMapUid(uid, out var localpart);

            // Assert
            Assert.False(mapped);
            Assert.Null(localpart);
        }
    }

    [Fact]
    public void TryMapUid_LongestUidOfOneByteCharacters_Mapped()
    {
        // Arrange: 128 non-alphanumeric ASCII characters → 384 bytes, well under 1023.
        var uid = new string('_', 128);

        // Act
        var mapped = JidMapper.TryMapUid(uid, out var localpart);

        // Assert
        Assert.True(mapped);
        Assert.Equal(384, localpart!.Length);
    }

    [Fact]
    public void TryMapUid_ResultOver1023Bytes_CannotBeMapped()
    {
        // Arrange: 128 × '€' (3 UTF-8 bytes each) → 1152 characters after escaping.
        var uid = new string('\u20ac', 128);

        // Act
        var mapped = JidMapper.TryMapUid(uid, out _);

        // Assert
        Assert.False(mapped);
    }

    private static string Map(string uid)
    {
        Assert.True(JidMapper.TryMapUid(uid, out var localpart), $"uid of length {uid.Length} was not mapped");
        Assert.Matches(@"^[a-z0-9.-]+\z", localpart);
        Assert.True(Encoding.UTF8.GetByteCount(localpart) <= JidMapper.MaxLocalpartBytes);
        return localpart;
    }

    /// <summary>The inverse, written from the documented scheme: proves decoding is unambiguous.</summary>
    private static string Decode(string localpart)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < localpart.Length; i++)
        {
            var c = localpart[i];
            if (c == '.')
            {
                bytes.Add((byte)char.ToUpperInvariant(localpart[++i]));
            }
            else if (c == '-')
            {
                bytes.Add(Convert.ToByte(localpart.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
    }
}
