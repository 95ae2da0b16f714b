using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// Benchmark (issue 4: "choose by measurement — detection time and Edge memory per connection"); prints figures and
/// asserts nothing about them. What an idle app connection costs the Edge when it relays it (ends the app's WebSocket,
/// opens its own to the node, pings the app every 7 s: the dead-client detection chosen) against the baseline measured
/// in the same run: YARP forwarding the upgraded bytes (<c>Edge:Relay=false</c>, no pings). Two Edge processes of the
/// same build and environment, one per mode, each take <see cref="Connections"/> idle <c>xmpp</c> WebSockets spread over
/// the nodes (no login: Prosody keeps an unauthenticated stream for its 300 s <c>c2s_timeout</c>); per connection: the
/// growth of resident memory (VmRSS) and of the managed heap after a full GC. File descriptors: 1 000 here and 2 000
/// in the Edge, well inside the machine's 20 000 (DESIGN.md §4). About 40 s.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class EdgeConnectionCostBenchmark(CommEazyAppFixture cluster, ITestOutputHelper output)
{
    private const int Connections = 1000;
    private const int Warmup = 50;

    [Fact]
    public async Task IdleConnections_RelayedVersusForwarded_PrintsEdgeMemoryPerConnection()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // No cap or pacing in the way: the question is memory, not admission.
        var common = new Dictionary<string, string>
        {
            ["Edge__ConnectionsPerAddress"] = "100000",
            ["Edge__AdmissionRatePerNode"] = "10000",
            ["Edge__AdmissionBurstPerNode"] = "10000",
            ["Edge__AdmissionQueuePerNode"] = "10000",
        };

        await using var forwarding = await EdgeProcess.StartAsync(cluster, new Dictionary<string, string>(common) { ["Edge__Relay"] = "false" });
        var baseline = await MeasureAsync(forwarding);
        await forwarding.DisposeAsync();
        await using var relaying = await EdgeProcess.StartAsync(cluster, new Dictionary<string, string>(common) { ["Edge__Relay"] = "true" });
        var relayed = await MeasureAsync(relaying);

        Figures.Print(output, string.Create(CultureInfo.InvariantCulture,
            $"edge connection cost, {Connections} idle WebSockets: relay (pings every 7 s) {relayed.RssPerConnection / 1024:0.0} KB RSS, " +
            $"{relayed.HeapPerConnection / 1024:0.0} KB managed heap per connection; YARP forwarding (no pings, baseline) " +
            $"{baseline.RssPerConnection / 1024:0.0} KB RSS, {baseline.HeapPerConnection / 1024:0.0} KB heap; relay/forwarding " +
            $"RSS x{relayed.RssPerConnection / baseline.RssPerConnection:0.00}, heap x{relayed.HeapPerConnection / baseline.HeapPerConnection:0.00}"));
    }

    private sealed record Cost(double RssPerConnection, double HeapPerConnection);

    /// <summary>Memory of <paramref name="edge"/> with no connection (after a warm-up round) and with <see cref="Connections"/> idle ones.</summary>
    private async Task<Cost> MeasureAsync(EdgeProcess edge)
    {
        var ct = TestContext.Current.CancellationToken;
        await HoldAsync(edge, Warmup, hold: TimeSpan.Zero, ct);
        var (heapBefore, gen2Before) = await edge.CollectAndMeasureHeapAsync();
        var rssBefore = edge.ResidentBytes();

        (long Heap, long Gen2, long Rss) loaded = default;
        // Idle past one ping round (7 s + the pong), so the relay's keep-alive state is part of what is measured.
        await HoldAsync(edge, Connections, hold: TimeSpan.FromSeconds(9), ct, async () =>
        {
            var (heap, gen2) = await edge.CollectAndMeasureHeapAsync();
            loaded = (heap, gen2, edge.ResidentBytes());
        });

        Assert.True(loaded.Gen2 > gen2Before, "the induced full GC did not run: the heap figure would mean nothing");
        return new Cost((double)(loaded.Rss - rssBefore) / Connections, (double)(loaded.Heap - heapBefore) / Connections);
    }

    /// <summary>Opens <paramref name="count"/> connections through <paramref name="edge"/>, keeps them idle, runs <paramref name="whileOpen"/>, closes them.</summary>
    private static async Task HoldAsync(EdgeProcess edge, int count, TimeSpan hold, CancellationToken ct, Func<Task>? whileOpen = null)
    {
        await using (var idle = await IdleConnections.OpenAsync(IPAddress.Loopback, edge.PublicPort, forwardedFor: null, count, ct))
        {
            await Task.Delay(hold, ct);
            Assert.All(idle.Sockets, s => Assert.Equal(WebSocketState.Open, s.State));
            if (whileOpen is not null)
            {
                await whileOpen();
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(1), ct); // the Edge lets go of both sides
    }
}
