using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using CommEazy.Cluster;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>mod_commeazy_node_metrics through a real node: memory, CPU, fds, sessions and stanza counts appear and move with a real client.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class NodeMetricsTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task ClientConnectsSendsAndDrops_NodeMetricsMove()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var session = await AppSignIn.SessionAsync(authBridge, "MetricsUid" + Guid.NewGuid().ToString("N")[..8], "+15550000101");
        // The user's home node (the Edge sends the connection there): its metrics are the ones that move.
        var userKey = System.Web.HttpUtility.ParseQueryString(new Uri(session.WebSocketUrl).Query)["u"]!;
        var home = HomeNode.Home(userKey, [.. cluster.Nodes])!;
        var metricsUrl = new Uri(cluster.App.GetEndpoint(home, "http"), "/metrics");
        const int messages = 5;

        // Act
        var result = await XmppScenario.RunAsync("node-metrics.mjs", new { session, metricsUrl, messages }, TimeSpan.FromSeconds(90));

        // Assert: the process figures are there and plausible.
        var before = result["before"]!;
        Assert.InRange(Value(before, "luaMemory"), 100_000, 2e9);
        Assert.InRange(Value(before, "rss"), 1_000_000, 8e9);
        Assert.True(Value(before, "cpu") > 0, "cpu_seconds_total is 0");
        Assert.InRange(Value(before, "openFds"), 3, 20_000);
        // A session appears while the client is online, its messages (to itself) are counted both ways.
        Assert.Equal(Value(before, "active") + 1, Value(result["online"]!, "active"));
        Assert.True(Value(result["afterMessages"]!, "messagesIn") >= Value(result["online"]!, "messagesIn") + messages,
            $"messages in: {result.ToJsonString()}");
        var echoed = (int)result["echoed"]!;
        Assert.True(echoed >= 1, "none of the messages came back");
        Assert.True(Value(result["afterMessages"]!, "messagesOut") >= Value(result["online"]!, "messagesOut") + echoed,
            $"messages out: {result.ToJsonString()}");
        Assert.True(Value(result["afterMessages"]!, "cpu") >= Value(before, "cpu"));
        // The dropped connection leaves a hibernating session (stream management keeps it for resumption).
        Assert.Equal(Value(result["online2"]!, "hibernating") + 1, Value(result["dropped"]!, "hibernating"));
        Assert.Equal(Value(result["online2"]!, "active") - 1, Value(result["dropped"]!, "active"));

        // Assert: Prometheus has scraped the same series for the node.
        using var prometheus = PrometheusApi.For(cluster);
        await prometheus.WaitForAsync(
            $"prosody_mod_commeazy_node_metrics__stanzas_total{{instance=\"{home}\",direction=\"in\",kind=\"message\",session=\"c2s\"}}",
            r => r.Count == 1 && r[0].Value >= messages, TimeSpan.FromSeconds(30));
    }

    private static double Value(JsonNode sample, string key) =>
        (double?)sample[key] ?? throw new Xunit.Sdk.XunitException($"/metrics has no value for {key}: {sample.ToJsonString()}");
}
