using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CommEazy.Cluster;

namespace CommEazy.Tests.Cluster;

/// <summary>
/// HomeNode's buffers (the user key encoded once, ids written before it, a pooled buffer past the stack's size, a
/// SHA-256 context reused per thread) against the definition written the plain way, for inputs the vectors do not have.
/// </summary>
public sealed class HomeNodeInputsTests
{
    /// <summary>The definition: first 8 bytes of SHA-256(UTF-8(m + "\n" + u)), big-endian; greatest wins, ties to the greater id.</summary>
    private static string? Defined(string userKey, IEnumerable<string> members) =>
        members
            .Select(m => (Id: m, Score: BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(m + "\n" + userKey)))))
            .OrderByDescending(m => m.Score).ThenByDescending(m => m.Id, StringComparer.Ordinal)
            .Select(m => m.Id).FirstOrDefault();

    public static TheoryData<string, string[]> Inputs => new()
    {
        { "f9359962ee24d4eb2e5b31207e55c6b7", ["prosody-1", "prosody-2", "prosody-3"] },
        { "f9359962ee24d4eb2e5b31207e55c6b7", ["node-" + new string('x', 121), "node-" + new string('y', 122), "node-" + new string('z', 123)] }, // ids of 126 and 127 bytes fit the 128-byte room, 128 does not
        { "f9359962ee24d4eb2e5b31207e55c6b7", ["nœud-1", "узел-2", "節點-3"] },                                                // multi-byte ids
        { new string('a', 300), ["prosody-1", "prosody-2"] },                                                                // a key past the stack buffer
        { "", ["prosody-1", "prosody-2", "prosody-3"] },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Home_UnusualInputs_AsDefined(string userKey, string[] members)
    {
        // Act
        var home = HomeNode.Home(userKey, members);
        var viaSet = HomeNode.Home(userKey, members.ToHashSet()); // the enumerator path

        // Assert
        Assert.Equal(Defined(userKey, members), home);
        Assert.Equal(home, viaSet);
        Assert.All(members, m => Assert.Equal(
            BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(m + "\n" + userKey))), HomeNode.Score(m, userKey)));
    }

    [Fact]
    public async Task Home_ManyThreadsAtOnce_EachAsDefined()
    {
        // Arrange: the SHA-256 context is per thread; lookups on the thread pool must never share one.
        string[] members = ["prosody-1", "prosody-2", "prosody-3", "prosody-4", "prosody-5"];
        var keys = Enumerable.Range(0, 4000).Select(i => UserKey.Derive("test-routing-key-not-a-secret-0123456789", $"user{i}@commeazy.local")).ToArray();

        // Act
        var homes = await Task.WhenAll(keys.Select(k => Task.Run(() => HomeNode.Home(k, members))));

        // Assert
        Assert.Equal(keys.Select(k => Defined(k, members)), homes);
    }
}
