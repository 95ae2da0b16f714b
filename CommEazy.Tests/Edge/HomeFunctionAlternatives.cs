using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace CommEazy.Tests.Edge;

/// <summary>A 64-bit hash of some bytes: SHA-256's first 8 bytes (big-endian) or XxHash64.</summary>
internal delegate ulong Hash64(ReadOnlySpan<byte> data);

/// <summary>
/// The home functions <see cref="HomeFunctionBenchmark"/> compares with <see cref="CommEazy.Cluster.HomeNode"/>: the same
/// rendezvous hashing over a cheaper hash, a consistent-hash ring with virtual nodes (the usual alternative), and the
/// C# implementation of HomeNode before it reused its SHA-256 context (to measure that change in the same run).
/// </summary>
internal static class HomeFunctionAlternatives
{
    public static ulong Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    public static ulong XxHash64Of(ReadOnlySpan<byte> data) => XxHash64.HashToUInt64(data);

    /// <summary>Rendezvous hashing as HomeNode defines it (m + "\n" + u, greatest wins, ties to the greater id), over any hash.</summary>
    public static string? Rendezvous(string userKey, string[] members, Hash64 hash)
    {
        Span<byte> input = stackalloc byte[256];
        string? best = null;
        ulong bestScore = 0;
        foreach (var member in members)
        {
            var written = Encoding.UTF8.GetBytes(member, input);
            input[written++] = (byte)'\n';
            written += Encoding.UTF8.GetBytes(userKey, input[written..]);
            var score = hash(input[..written]);
            if (best is null || score > bestScore || (score == bestScore && string.CompareOrdinal(member, best) > 0))
            {
                best = member;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>
    /// HomeNode's lookup as it was at commit 92d8162, kept to measure its change in the same run: per member, the byte
    /// counts and the key encoded again and a one-shot SHA-256 (a native context set up and torn down every time).
    /// </summary>
    public static string? HomeNodeBefore(string userKey, string[] members)
    {
        Func<string, string> idOf = static member => member;
        Span<byte> input = stackalloc byte[256];
        string? best = null;
        ulong bestScore = 0;
        for (var i = 0; i < members.Length; i++)
        {
            var id = idOf(members[i]);
            var length = Encoding.UTF8.GetByteCount(id) + 1 + Encoding.UTF8.GetByteCount(userKey);
            var written = Encoding.UTF8.GetBytes(id, input[..length]);
            input[written++] = (byte)'\n';
            written += Encoding.UTF8.GetBytes(userKey, input[written..]);
            var score = Sha256(input[..written]);
            if (best is null || score > bestScore || (score == bestScore && string.CompareOrdinal(id, best) > 0))
            {
                best = id;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>
    /// A consistent-hash ring: member <c>m</c> owns the points hash(<c>m + "#" + i</c>) for <c>i</c> below the number of
    /// virtual nodes, and a key belongs to the first point at or after hash(key), wrapping round. Built once per membership.
    /// </summary>
    public sealed class Ring
    {
        private readonly ulong[] _points;
        private readonly string[] _owners;
        private readonly Hash64 _hash;

        public Ring(string[] members, int virtualNodes, Hash64 hash)
        {
            _hash = hash;
            var points = new List<(ulong Point, string Owner)>(members.Length * virtualNodes);
            foreach (var member in members)
            {
                for (var i = 0; i < virtualNodes; i++)
                {
                    points.Add((hash(Encoding.UTF8.GetBytes($"{member}#{i}")), member));
                }
            }
            // Colliding points (never seen here) go to the ordinally smaller id, so the ring is the same in any language.
            points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(a.Owner, b.Owner));
            _points = [.. points.Select(p => p.Point)];
            _owners = [.. points.Select(p => p.Owner)];
        }

        public string? Owner(string userKey)
        {
            if (_points.Length == 0)
            {
                return null;
            }
            Span<byte> input = stackalloc byte[128];
            var at = _hash(input[..Encoding.UTF8.GetBytes(userKey, input)]);
            var index = Array.BinarySearch(_points, at);
            if (index < 0)
            {
                index = ~index;
            }
            return _owners[index == _points.Length ? 0 : index];
        }
    }
}
