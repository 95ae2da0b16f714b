using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// A phone that drops out of coverage (no FIN) and an app that is killed (FIN) are both shown offline to their
/// contacts within the product's 90 s (the aim is 45 s): the Edge pings every app and drops a silent one on the node
/// side without a close, so Prosody's 30 s hibernation starts at once.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class DeadClientTests(CommEazyAppFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SilentlyVanishedAndKilledApps_ShownOfflineWithinTheGoal()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: the three on different homes, all through the Edge.
        var alice = await cluster.WithHomeAsync(cluster.Nodes[0], cluster.Nodes, "alice");
        var bob = await cluster.WithHomeAsync(cluster.Nodes[1], cluster.Nodes, "bob");
        var carol = await cluster.WithHomeAsync(cluster.Nodes[2], cluster.Nodes, "carol");

        // Act
        var facts = await XmppScenario.RunAsync("dead-clients.mjs", new { alice, bob, carol }, TimeSpan.FromMinutes(4));

        // Assert
        var silent = (int?)facts["silentMs"];
        var killed = (int?)facts["killedMs"];
        Figures.Print(output, $"dead clients: a silently vanished app was shown offline after {silent} ms, a killed app after {killed} ms " +
            $"(goal {Promise.TotalSeconds:0} s, aim 45 s; Edge pings every 7 s, 5 s for the pong; hibernation 30 s)");
        Assert.True(silent is not null && silent <= Promise.TotalMilliseconds, $"the silently vanished app was shown offline after {silent} ms");
        Assert.True(killed is not null && killed <= Promise.TotalMilliseconds, $"the killed app was shown offline after {killed} ms");
    }
}
