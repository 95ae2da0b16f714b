using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using Aspire.Hosting.Testing;
using CommEazy.Cluster;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// The Edge sends every app to its user's home over whatever the live membership is, drains nodes on an operator's
/// request (its internal admin endpoint), and answers at once with 503 and Retry-After when no node is live.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class EdgeRoutingTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task AppsLandOnTheirHome_ForEveryMembershipSet()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var drained = new List<string>();
        try
        {
            // Act + Assert: all nodes live, then one drained, then two.
            foreach (var drain in new[] { null, cluster.Nodes[2], cluster.Nodes[1] })
            {
                if (drain is not null)
                {
                    Assert.Equal(HttpStatusCode.OK, await AdminAsync(drain, "drain"));
                    drained.Add(drain);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                    await cluster.WaitForLiveMembersAsync([.. cluster.Nodes.Except(drained)], timeout.Token);
                }
                var live = cluster.Nodes.Except(drained).ToArray();
                var sessions = new List<AppSession>();
                for (var i = 0; i < 6; i++)
                {
                    sessions.Add(await cluster.SessionAsync("landing"));
                }
                var holding = XmppScenario.RunAsync("hold.mjs", new { sessions, seconds = 8 }, TimeSpan.FromMinutes(2));
                foreach (var session in sessions)
                {
                    var home = HomeNode.Home(ClusterUsers.UserKeyOf(session), live);
                    Assert.Equal([home!], await OnlineAtWhenThereAsync(session.Jid));
                }
                Assert.Equal(6, (int)(await holding)["signedIn"]!);
            }
        }
        finally
        {
            foreach (var node in drained)
            {
                await AdminAsync(node, "undrain");
            }
            foreach (var node in drained)
            {
                await cluster.WaitUntilWholeAsync(node);
            }
        }
    }

    [Fact]
    public async Task NoNodeLive_UpgradeAnswered503WithRetryAfter()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var session = await cluster.SessionAsync("nobody-home");
        try
        {
            // Arrange: every node drains.
            foreach (var node in cluster.Nodes)
            {
                Assert.Equal(HttpStatusCode.OK, await AdminAsync(node, "drain"));
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await cluster.WaitForLiveMembersAsync([], timeout.Token);
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // the Edge reads the heartbeats twice a second

            var refusedBefore = await EdgeRefusals.CountAsync(cluster, "no-node");

            // Act: the app's upgrade, as xmpp.js sends it.
            using var app = new ClientWebSocket();
            app.Options.AddSubProtocol("xmpp");
            app.Options.CollectHttpResponseDetails = true;
            using var answered = new CancellationTokenSource(TimeSpan.FromSeconds(10)); // a hang, not a speed limit
            var refused = await Record.ExceptionAsync(() => app.ConnectAsync(new Uri(session.WebSocketUrl), answered.Token));

            // Assert
            Assert.IsType<WebSocketException>(refused);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, app.HttpStatusCode);
            Assert.True(app.HttpResponseHeaders?.ContainsKey("Retry-After"), "503 without Retry-After");
            Assert.True(await EdgeRefusals.RisenAboveAsync(cluster, "no-node", refusedBefore) > refusedBefore,
                "the 503 is not counted in commeazy_edge_refusals_total{reason=\"no-node\"}");
        }
        finally
        {
            foreach (var node in cluster.Nodes)
            {
                await AdminAsync(node, "undrain");
            }
            foreach (var node in cluster.Nodes)
            {
                await cluster.WaitUntilWholeAsync(node);
            }
        }
    }

    [Fact]
    public async Task AdminEndpoint_RefusesWithoutTheSecretAndNamesUnknownNodes()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "internal");

        using var anonymous = await edge.PostAsync($"/admin/nodes/{cluster.Nodes[0]}/drain", null, TestContext.Current.CancellationToken);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, $"/admin/nodes/{cluster.Nodes[0]}/drain");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-admin-secret");
        using var wrongAnswer = await edge.SendAsync(wrong, TestContext.Current.CancellationToken);
        var unknown = await AdminAsync("prosody-99", "drain");
        using var publicEdge = cluster.App.CreateHttpClient("edge", "http");
        using var fromOutside = await publicEdge.PostAsync($"/admin/nodes/{cluster.Nodes[0]}/drain", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal(HttpStatusCode.Forbidden, fromOutside.StatusCode); // the public listener has no admin endpoint
        Assert.Contains("is live", cluster.Shell(cluster.Nodes[0], "commeazy", "members").Output); // nothing was drained
        // The operator can see the refused attempts (and never the secret that was tried).
        await WaitForEdgeLogAsync($"Admin request POST /admin/nodes/{cluster.Nodes[0]}/drain refused: wrong credentials");
        await WaitForEdgeLogAsync($"Admin request POST /admin/nodes/{cluster.Nodes[0]}/drain refused: no Authorization header");
        Assert.DoesNotContain(cluster.Logs.GetSnapshot(), r => r.Message.Contains("not-the-admin-secret", StringComparison.Ordinal));
    }

    private async Task WaitForEdgeLogAsync(string text)
    {
        for (var i = 0; i < 50 && !cluster.Logs.GetSnapshot().Any(r => r.Category == "CommEazy.AppHost.Resources.edge" && r.Message.Contains(text, StringComparison.Ordinal)); i++)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        Assert.Contains(cluster.Logs.GetSnapshot(), r => r.Category == "CommEazy.AppHost.Resources.edge" && r.Message.Contains(text, StringComparison.Ordinal));
    }

    private async Task<HttpStatusCode> AdminAsync(string node, string action)
    {
        using var edge = cluster.App.CreateHttpClient("edge", "internal");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/nodes/{node}/{action}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Parameter("cluster-admin-secret"));
        using var response = await edge.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task<IReadOnlyList<string>> OnlineAtWhenThereAsync(string jid)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await cluster.OnlineAtAsync(jid) is { Count: > 0 } nodes)
            {
                return nodes;
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        return [];
    }
}
