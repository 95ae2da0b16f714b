using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using CommEazy.Cluster;
using CommEazy.Tests.Fixtures;
using static CommEazy.Tests.Edge.HomeFunctionAlternatives;

namespace CommEazy.Tests.Edge;

/// <summary>
/// Issue 4 item 2, the home function's benchmark: for 3, 5 and 10 members and 100 000 user keys, the load balance
/// (max/mean, goal ≤ 1.05), the keys that move when a member joins or leaves (goal ≤ 1/(N+1) + 1 %) and the cost of
/// a lookup, for <see cref="HomeNode"/> and the alternatives a reviewer asks about, measured in the same run so the
/// costs compare as ratios (to one SHA-256 of 40 bytes). Balance and movement are computed over fixed keys, so they
/// are facts and asserted; timings are printed (and collected in TestResults/figures.txt), never asserted. It runs
/// on its own, after the tests that run in parallel, so the suite's own clusters do not take its cores.
/// </summary>
[Collection(nameof(HomeFunctionBenchmark))]
public sealed class HomeFunctionBenchmark(ITestOutputHelper output)
{
    private const string RoutingKey = "benchmark-routing-key-not-a-secret-0123456789";
    private const int KeyCount = 100_000;
    private const double LoadGoal = 1.05;
    private static readonly int[] Sizes = [3, 5, 10];
    private static readonly string[] AllNodes = [.. Enumerable.Range(1, 11).Select(i => $"prosody-{i}")];
    private static readonly byte[] FortyBytes = [.. Enumerable.Range(0, 40).Select(i => (byte)i)];
    private static int s_sink;

    /// <summary>A home function: for a membership, the lookup from a user key to its member.</summary>
    private sealed record Candidate(string Name, Func<string[], Func<string, string?>> For);

    private static readonly Candidate Rendezvous = new("rendezvous SHA-256 (HomeNode)", members => key => HomeNode.Home(key, members));

    private static readonly Candidate[] Candidates =
    [
        Rendezvous,
        new("rendezvous XxHash64", members => key => HomeFunctionAlternatives.Rendezvous(key, members, XxHash64Of)),
        new("ring SHA-256, 100 vnodes", members => new Ring(members, 100, Sha256).Owner),
        new("ring SHA-256, 1000 vnodes", members => new Ring(members, 1000, Sha256).Owner),
        new("ring XxHash64, 1000 vnodes", members => new Ring(members, 1000, XxHash64Of).Owner),
    ];

    /// <summary>What a candidate does with N members: its balance, and the share of keys moved by a join and a leave.</summary>
    private sealed record Spread(double MaxOverMean, double Joined, double Left);

    [Fact]
    public void HomeFunction_3_5_10Members_PrintsBalanceMovementAndCost()
    {
        // Arrange
        var started = Stopwatch.GetTimestamp();
        var keys = new string[KeyCount];
        Parallel.For(0, KeyCount, i => keys[i] = UserKey.Derive(RoutingKey, $"user{i}@commeazy.local"));

        // Act: balance and movement (facts of the fixed keys), then the cost of a lookup (timed, interleaved).
        var spreads = Candidates.ToDictionary(c => c, c => Sizes.Select(n => SpreadOf(c, n, keys)).ToArray());
        // The baseline takes a turn before each group, so a slow moment cannot skew every ratio.
        var probes = new List<Func<int, int>>();
        foreach (var n in Sizes)
        {
            var members = AllNodes[..n];
            probes.Add(Baseline);
            probes.AddRange(Candidates.Select(c => Probe(c.For(members), keys)));
            probes.Add(Probe(key => HomeNodeBefore(key, members), keys));
        }
        var ns = NanosecondsPerCall(probes);

        // Assert: HomeNode meets the goals (these are facts of the fixed keys, not timings)...
        for (var s = 0; s < Sizes.Length; s++)
        {
            var (n, spread) = (Sizes[s], spreads[Rendezvous][s]);
            Assert.True(spread.MaxOverMean <= LoadGoal, $"N={n}: max/mean {spread.MaxOverMean:F4}");
            Assert.True(spread.Joined <= MoveGoal(n), $"N={n}: a join moved {spread.Joined:P2}");
            Assert.True(spread.Left <= MoveGoal(n), $"N={n}: a leave moved {spread.Left:P2}");
        }
        // ...and its faster C# implementation gives the homes the previous one gave.
        foreach (var n in Sizes)
        {
            var members = AllNodes[..n];
            Assert.All(keys.Take(10_000), key => Assert.Equal(HomeNodeBefore(key, members), HomeNode.Home(key, members)));
        }

        PrintTable(spreads, ns, Stopwatch.GetElapsedTime(started));
    }

    private static double MoveGoal(int n) => 1.0 / (n + 1) + 0.01;

    /// <summary>
    /// Homes over prosody-1..N, over N+1 (prosody-N+1 joins), and over those N+1 less the one with most keys (it
    /// leaves). Every candidate promises that only the member that joined or left gains or loses keys: checked key by key.
    /// </summary>
    private static Spread SpreadOf(Candidate candidate, int n, string[] keys)
    {
        var members = AllNodes[..n];
        var grown = AllNodes[..(n + 1)];
        var newcomer = grown[^1];
        var before = Homes(candidate.For(members), keys);
        var joined = Homes(candidate.For(grown), keys);
        var leaver = joined.CountBy(h => h).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key;
        var left = Homes(candidate.For([.. grown.Where(m => m != leaver)]), keys);

        var strayJoins = Enumerable.Range(0, KeyCount).Count(i => before[i] != joined[i] && joined[i] != newcomer);
        var strayLeaves = Enumerable.Range(0, KeyCount).Count(i => (joined[i] != left[i]) != (joined[i] == leaver));
        Assert.True(strayJoins == 0, $"{candidate.Name}, N={n}: {strayJoins} keys moved between old members when {newcomer} joined");
        Assert.True(strayLeaves == 0, $"{candidate.Name}, N={n}: {strayLeaves} keys moved other than {leaver}'s when it left");

        var maxLoad = before.CountBy(h => h).Max(c => c.Value);
        return new Spread(
            MaxOverMean: maxLoad / ((double)KeyCount / n),
            Joined: Enumerable.Range(0, KeyCount).Count(i => before[i] != joined[i]) / (double)KeyCount,
            Left: Enumerable.Range(0, KeyCount).Count(i => joined[i] != left[i]) / (double)KeyCount);
    }

    private static string[] Homes(Func<string, string?> lookup, string[] keys)
    {
        var homes = new string[keys.Length];
        Parallel.ForEach(Partitioner.Create(0, keys.Length, 4096), range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                homes[i] = lookup(keys[i]) ?? throw new InvalidOperationException("no home among members");
            }
        });
        return homes;
    }

    private static int Baseline(int i) => Sha256(FortyBytes) == (ulong)i ? 1 : 0;

    private static Func<int, int> Probe(Func<string, string?> lookup, string[] keys) => i => lookup(keys[i & 0xFFFF])!.Length;

    /// <summary>
    /// Nanoseconds per call of each probe: each warmed up and sized to about 10 ms a round, then 9 rounds in which every
    /// probe takes its turn (so a busy neighbour slows them alike); the fastest round counts, as other work on a shared
    /// machine only ever adds time.
    /// </summary>
    private static double[] NanosecondsPerCall(IReadOnlyList<Func<int, int>> probes)
    {
        const int Rounds = 9;
        var roundTicks = Stopwatch.Frequency * 10 / 1000;
        var calls = new int[probes.Count];
        for (var p = 0; p < probes.Count; p++)
        {
            var n = 64;
            long ticks;
            while ((ticks = Time(probes[p], n)) < roundTicks / 8)
            {
                n *= 2;
            }
            calls[p] = (int)Math.Max(n, n * roundTicks / Math.Max(ticks, 1));
        }
        var samples = new double[probes.Count][];
        for (var p = 0; p < probes.Count; p++)
        {
            samples[p] = new double[Rounds];
        }
        for (var r = -1; r < Rounds; r++) // round -1 warms everything up once more (tiered JIT) and is not counted
        {
            for (var p = 0; p < probes.Count; p++)
            {
                var ns = Time(probes[p], calls[p]) * 1e9 / Stopwatch.Frequency / calls[p];
                if (r >= 0)
                {
                    samples[p][r] = ns;
                }
            }
        }
        return [.. samples.Select(s => s.Min())];
    }

    private static long Time(Func<int, int> probe, int calls)
    {
        var sink = 0;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            sink += probe(i);
        }
        var ticks = Stopwatch.GetTimestamp() - start;
        s_sink += sink;
        return ticks;
    }

    private void PrintTable(Dictionary<Candidate, Spread[]> spreads, double[] ns, TimeSpan took)
    {
        var perSize = Candidates.Length + 2; // for each N: the baseline, the candidates, HomeNode before
        var baseline = Enumerable.Range(0, Sizes.Length).Min(s => ns[s * perSize]);
        double Lookup(int s, int c) => ns[s * perSize + 1 + c];
        var build = typeof(HomeNode).Assembly.GetCustomAttribute<DebuggableAttribute>() is { IsJITOptimizerDisabled: true }
            ? "Debug build: our code unoptimised, the hashes are the runtime's" : "Release build";
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        string Pct(double x) => F($"{x * 100,6:F2} %");

        var lines = new List<string>
        {
            F($"home function benchmark: {KeyCount:N0} user keys over prosody-1..N; join = prosody-(N+1) joins; leave = the most loaded of those N+1 leaves"),
            F($"goals: max/mean <= {LoadGoal:F2}; moved <= 1/(N+1) + 1 %. lookup = ns for one key over N members, fastest of 9 interleaved rounds ({build})"),
            F($"baseline: one SHA-256 of 40 bytes = {baseline:F0} ns; x SHA-256 = lookup / baseline; {Environment.ProcessorCount} cores, whole benchmark {took.TotalSeconds:F1} s"),
            F($"{"algorithm",-30} {"N",2} {"max/mean",8} {"join",8} {"leave",8} {"goal <=",8} {"lookup ns",9} {"x SHA-256",9}  goals"),
        };
        for (var c = 0; c < Candidates.Length; c++)
        {
            for (var s = 0; s < Sizes.Length; s++)
            {
                var (n, spread) = (Sizes[s], spreads[Candidates[c]][s]);
                var met = spread.MaxOverMean <= LoadGoal && spread.Joined <= MoveGoal(n) && spread.Left <= MoveGoal(n);
                lines.Add(F($"{Candidates[c].Name,-30} {n,2} {spread.MaxOverMean,8:F4} {Pct(spread.Joined)} {Pct(spread.Left)} {Pct(MoveGoal(n))} {Lookup(s, c),9:F0} {Lookup(s, c) / baseline,9:F2}  {(met ? "met" : "MISSED")}"));
            }
        }
        for (var s = 0; s < Sizes.Length; s++)
        {
            var before = Lookup(s, Candidates.Length);
            lines.Add(F($"{"HomeNode before (92d8162)",-30} {Sizes[s],2} {"same homes as HomeNode",-35} {before,9:F0} {before / baseline,9:F2}  now/before {Lookup(s, 0) / before:F2}"));
        }
        var allMet = Candidates.Where(c => Sizes.Select((n, s) => spreads[c][s]).Select((x, s) =>
            x.MaxOverMean <= LoadGoal && x.Joined <= MoveGoal(Sizes[s]) && x.Left <= MoveGoal(Sizes[s])).All(m => m));
        lines.Add("all goals met at N = 3, 5 and 10 by: " + string.Join("; ", allMet.Select(c => c.Name)));
        foreach (var line in lines)
        {
            Figures.Print(output, line);
        }
    }
}

/// <summary>The benchmark's collection: never run in parallel with another, so its timings are its own.</summary>
[CollectionDefinition(nameof(HomeFunctionBenchmark), DisableParallelization = true)]
public sealed class HomeFunctionBenchmarkCollection;
