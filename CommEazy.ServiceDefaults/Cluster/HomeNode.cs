using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CommEazy.Cluster;

/// <summary>
/// Which live cluster member is a user's home (DESIGN.md §3): rendezvous (highest-random-weight) hashing.
/// Each member <c>m</c> scores the first 8 bytes of SHA-256(UTF-8(<c>m + "\n" + u</c>)) read as an unsigned
/// big-endian 64-bit number; the greatest score wins and a tie goes to the ordinally greater id. A member
/// leaving moves only the users it was home to; a member joining takes only the users it now wins. The Edge
/// and every Prosody node (Lua) compute it and must agree: shared vectors in
/// <c>containers/prosody/modules/testdata/home-vectors.json</c>.
/// </summary>
public static class HomeNode
{
    // Node ids and user keys are short ASCII; anything longer is hashed from a pooled buffer.
    private const int StackLimit = 256;

    /// <summary>The home of <paramref name="userKey"/> among <paramref name="liveMembers"/> (node ids), or null when there are none.</summary>
    public static string? Home(string userKey, IReadOnlyCollection<string> liveMembers) =>
        Home(userKey, liveMembers, static member => member);

    /// <summary>
    /// The home of <paramref name="userKey"/> among <paramref name="members"/>, each named by <paramref name="idOf"/>
    /// (e.g. YARP destinations by their destination id), or null when there are none.
    /// </summary>
    public static T? Home<T>(string userKey, IReadOnlyCollection<T> members, Func<T, string> idOf) where T : class
    {
        ArgumentNullException.ThrowIfNull(userKey);
        T? best = null;
        string? bestId = null;
        ulong bestScore = 0;
        if (members is IReadOnlyList<T> list)
        {
            // Indexing avoids boxing an enumerator: this runs once per WebSocket connection.
            for (var i = 0; i < list.Count; i++)
            {
                Consider(list[i]);
            }
        }
        else
        {
            foreach (var member in members)
            {
                Consider(member);
            }
        }
        return best;

        void Consider(T member)
        {
            var id = idOf(member);
            var score = Score(id, userKey);
            if (bestId is null || score > bestScore || (score == bestScore && string.CompareOrdinal(id, bestId) > 0))
            {
                best = member;
                bestId = id;
                bestScore = score;
            }
        }
    }

    /// <summary>The weight of <paramref name="memberId"/> for <paramref name="userKey"/>: SHA-256(m + "\n" + u), first 8 bytes, big-endian.</summary>
    public static ulong Score(string memberId, string userKey)
    {
        var length = Encoding.UTF8.GetByteCount(memberId) + 1 + Encoding.UTF8.GetByteCount(userKey);
        byte[]? rented = null;
        try
        {
            Span<byte> input = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
            var written = Encoding.UTF8.GetBytes(memberId, input);
            input[written++] = (byte)'\n';
            written += Encoding.UTF8.GetBytes(userKey, input[written..]);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(input[..written], hash);
            return BinaryPrimitives.ReadUInt64BigEndian(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
