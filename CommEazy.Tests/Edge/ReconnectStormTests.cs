using System.Globalization;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CommEazy.Cluster;
using CommEazy.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace CommEazy.Tests.Edge;

/// <summary>
/// A node dies under 200 connected apps: its users all come back at once, the Edge admits them per node at the
/// configured rate (the fixture sets a low one, so that admission really queues and refuses), and every one of them is
/// back on its new home and chatting; none is refused for good and no node logs in more than its admission allows.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed partial class ReconnectStormTests(CommEazyAppFixture cluster, ITestOutputHelper output)
{
    private const int Users = 200;

    [Fact]
    public async Task NodeKilledUnder200Apps_AllBackAndChatting_AdmittedAtTheNodesRate()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var victim = cluster.Nodes[^1];
        try
        {
            // Arrange
            var users = new List<AppSession>();
            for (var i = 0; i < Users; i++)
            {
                users.Add(await cluster.SessionAsync($"storm{i}-"));
            }
            var buddy = await cluster.WithHomeAsync(cluster.Nodes[0], cluster.Nodes, "buddy");
            var survivors = cluster.Nodes.Where(n => n != victim).ToArray();
            var expected = users.Where(u => HomeNode.Home(ClusterUsers.UserKeyOf(u), cluster.Nodes) == victim).ToList();
            cluster.Killed.Add((victim, DateTimeOffset.UtcNow));

            // Act (the Edge's admission counters are sampled meanwhile)
            using var sampling = new CancellationTokenSource();
            var admissions = SampleAdmissionsAsync(sampling.Token);
            var facts = await XmppScenario.RunAsync("storm.mjs",
                new { users, buddy, command = new[] { "docker", "kill", cluster.ContainerId(victim) }, parallel = 25 }, TimeSpan.FromMinutes(6));
            await sampling.CancelAsync();
            var samples = await admissions;

            // Assert: everyone who lost the node is back and chatting.
            Assert.Equal(Users, (int)facts["connected"]!);
            Assert.Equal(expected.Count, (int)facts["affected"]!);
            Assert.Equal(0, (int)facts["neverBack"]!);
            Assert.Equal(expected.Count, (int)facts["delivered"]!);
            // Assert: no node was given more new connections in any second than its admission allows.
            var limit = cluster.EdgeAdmissionBurst + cluster.EdgeAdmissionRate;
            var busiest = cluster.Nodes.ToDictionary(n => n, n => BusiestSecond(samples, n));
            foreach (var (node, count) in busiest)
            {
                Assert.True(count <= limit, $"{node} was given {count} connections in one second (admission: {cluster.EdgeAdmissionRate}/s, burst {cluster.EdgeAdmissionBurst})");
            }
            var recovery = facts["recoveryMs"]!.AsArray().Select(v => (int)v!).ToList();
            Figures.Print(output, $"reconnect storm: {expected.Count} of {Users} apps lost {victim}; back on their new homes after " +
                $"min {recovery.Min()} ms, P50 {Percentile(recovery, 0.5)} ms, P90 {Percentile(recovery, 0.9)} ms, max {recovery.Max()} ms; " +
                $"first sign-ins refused {(int)facts["startRefusals"]!} times (retried); admission {cluster.EdgeAdmissionRate}/s burst {cluster.EdgeAdmissionBurst} per node; " +
                $"most connections admitted in one second per node: {string.Join(", ", busiest.Select(b => $"{b.Key} {b.Value}"))}");
        }
        finally
        {
            await cluster.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(victim, KnownResourceCommands.StartCommand, TestContext.Current.CancellationToken);
            await cluster.WaitUntilWholeAsync(victim);
        }
    }

    /// <summary>Reads the Edge's admitted-connection counters every 200 ms until cancelled: (when, node, total so far).</summary>
    private async Task<List<(DateTimeOffset At, string Node, double Admitted)>> SampleAdmissionsAsync(CancellationToken stop)
    {
        using var edge = cluster.App.CreateHttpClient("edge", "internal");
        var samples = new List<(DateTimeOffset, string, double)>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var text = await edge.GetStringAsync("/metrics", stop);
                var at = DateTimeOffset.UtcNow;
                foreach (Match m in AdmittedCounter().Matches(text))
                {
                    samples.Add((at, m.Groups["node"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
                }
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return samples;
    }

    /// <summary>
    /// The most connections the Edge admitted to <paramref name="node"/> between two samples at most 800 ms apart: with
    /// the 200 ms it takes to read a sample, a span of under one second, so it may not exceed burst + rate.
    /// </summary>
    private static int BusiestSecond(List<(DateTimeOffset At, string Node, double Admitted)> samples, string node)
    {
        var series = samples.Where(s => s.Node == node).ToList();
        var busiest = 0.0;
        for (var i = 0; i < series.Count; i++)
        {
            for (var j = i + 1; j < series.Count && series[j].At - series[i].At <= TimeSpan.FromMilliseconds(800); j++)
            {
                busiest = Math.Max(busiest, series[j].Admitted - series[i].Admitted);
            }
        }
        return (int)busiest;
    }

    private static int Percentile(List<int> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * q))];

    [GeneratedRegex("""^commeazy_edge_admission[a-z_]*_total\{(?=[^}]*outcome="admitted")(?=[^}]*server_address="(?<node>[^"]+)")[^}]*\} (?<value>[0-9.eE+]+)""", RegexOptions.Multiline)]
    private static partial Regex AdmittedCounter();
}
