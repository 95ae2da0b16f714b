using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Cluster;

/// <summary>
/// Two users whose homes are different nodes, each connected straight to their home, use everything a chat app
/// uses; the cluster routes every stanza to the recipient's home (DESIGN.md §3).
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class CrossNodeTests(CommEazyAppFixture cluster, ITestOutputHelper output)
{
    private const int LatencyRounds = 200;

    [Fact]
    public async Task UsersOnDifferentHomes_ChatSubscribeProbePingAndShareNicknames()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: alice and carol live on the first node, bob on the second.
        var (first, second) = (cluster.Nodes[0], cluster.Nodes[1]);
        var alice = await cluster.WithHomeAsync(first, cluster.Nodes, "alice");
        var bob = await cluster.WithHomeAsync(second, cluster.Nodes, "bob");
        var carol = await cluster.WithHomeAsync(first, cluster.Nodes, "carol");
        var domain = alice.Jid.Split('@')[1];

        // Act
        var facts = await XmppScenario.RunAsync("cluster-chat.mjs", new
        {
            alice = alice.At(cluster, first),
            bob = bob.At(cluster, second),
            carol = carol.At(cluster, first),
            rounds = LatencyRounds,
            nobody = $"nobody-{Guid.NewGuid():N}@{domain}",
            clusterHosts = cluster.Nodes,
        }, TimeSpan.FromMinutes(3));

        // Assert: chat, presence, IQs and PEP work across nodes as on one.
        Assert.True((bool)facts["subscribed"]!);
        Assert.Equal("to your bare JID", (string?)facts["bareMessage"]);
        Assert.Equal("to your full JID", (string?)facts["fullMessage"]);
        Assert.Equal("result", (string?)facts["pingAliceToBob"]!["type"]);
        Assert.StartsWith(bob.Jid + "/", (string?)facts["pingAliceToBob"]!["from"]);
        Assert.Equal("result", (string?)facts["pingBobToAlice"]!["type"]);
        Assert.Equal("Alice", (string?)facts["nickNotified"]);
        Assert.Equal("Alice", (string?)facts["nickQueried"]);
        Assert.True((bool)facts["sawBobLeave"]!);
        Assert.NotNull((string?)facts["sawAliceReturn"]);
        Assert.Equal("alice-status-2", (string?)facts["probeAnswered"]);
        Assert.Equal("Alice again", (string?)facts["nickNotifiedAfterLogin"]);
        Assert.Equal(200, (int)facts["ordered"]!["count"]!);
        Assert.True((bool)facts["ordered"]!["inOrder"]!, "200 messages across nodes arrived out of order");
        Assert.Equal("service-unavailable", (string?)facts["nobodyMessage"]);
        Assert.Equal("service-unavailable", (string?)facts["nobodyIq"]);
        Assert.False((bool)facts["forgedArrived"]!, "a client injected a stanza through a cluster host");

        // Report: what a hop between nodes costs (printed, never asserted: the machine is shared and noisy).
        var same = facts["sameNode"]!;
        var cross = facts["crossNode"]!;
        Figures.Print(output,
            $"cluster round trip over {LatencyRounds} messages: same node P50 {same["p50"]} ms P99 {same["p99"]} ms; " +
            $"across nodes P50 {cross["p50"]} ms P99 {cross["p99"]} ms " +
            $"(cross/same: P50 {(double)cross["p50"]! / (double)same["p50"]!:F2}, P99 {(double)cross["p99"]! / (double)same["p99"]!:F2})");
    }
}
