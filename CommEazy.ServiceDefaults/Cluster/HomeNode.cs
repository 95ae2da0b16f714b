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
/// <c>containers/prosody/modules/testdata/home-vectors.json</c>. Why this function and what it costs:
/// <c>CommEazy.Tests/Edge/HomeFunctionBenchmark.cs</c>.
/// </summary>
public static class HomeNode
{
    // Node ids and user keys are short ASCII; anything longer is hashed from a pooled buffer.
    private const int StackLimit = 256;

    // The input buffer is [id room]["\n"][user key]: the key is encoded once per lookup, each member's id is written
    // right before the "\n", so the bytes hashed for a member are exactly UTF-8(m + "\n" + u).
    private const int IdRoom = 128;

    // One SHA-256 context per thread, reset by every GetHashAndReset: the one-shot SHA256.HashData sets up and
    // tears down a native context on each call, which was about a fifth of a score (HomeFunctionBenchmark).
    [ThreadStatic]
    private static IncrementalHash? t_sha256;

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
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(idOf);
        if (members.Count == 0)
        {
            return null;
        }
        var size = IdRoom + Encoding.UTF8.GetByteCount(userKey);
        byte[]? rented = null;
        try
        {
            Span<byte> buffer = size <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(size));
            var election = new Election<T>(buffer[..size], userKey);
            if (members is IReadOnlyList<T> list)
            {
                // Indexing avoids boxing an enumerator: this runs once per WebSocket connection.
                for (var i = 0; i < list.Count; i++)
                {
                    election.Consider(list[i], idOf(list[i]));
                }
            }
            else
            {
                foreach (var member in members)
                {
                    election.Consider(member, idOf(member));
                }
            }
            return election.Best;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
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
            return Weight(input[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static ulong Weight(ReadOnlySpan<byte> input)
    {
        var sha256 = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha256.AppendData(input);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        sha256.GetHashAndReset(hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>The running best of one lookup, over a buffer that already holds "\n" and the user key.</summary>
    private ref struct Election<T> where T : class
    {
        private readonly Span<byte> _buffer;
        private readonly string _userKey;
        private string? _bestId;
        private ulong _bestScore;

        public Election(Span<byte> buffer, string userKey)
        {
            _buffer = buffer;
            _userKey = userKey;
            buffer[IdRoom - 1] = (byte)'\n';
            Encoding.UTF8.GetBytes(userKey, buffer[IdRoom..]);
        }

        public T? Best { get; private set; }

        public void Consider(T member, string id)
        {
            var idLength = Encoding.UTF8.GetByteCount(id);
            ulong score;
            if (idLength < IdRoom)
            {
                var start = IdRoom - 1 - idLength;
                Encoding.UTF8.GetBytes(id, _buffer[start..]);
                score = Weight(_buffer[start..]);
            }
            else
            {
                score = Score(id, _userKey); // an id too long for the room (never a real node id)
            }
            if (_bestId is null || score > _bestScore || (score == _bestScore && string.CompareOrdinal(id, _bestId) > 0))
            {
                Best = member;
                _bestId = id;
                _bestScore = score;
            }
        }
    }
}
