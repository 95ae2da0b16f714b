using System.Net;
using System.Net.WebSockets;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Edge;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Integration;

/// <summary>The Edge shows apps only the WebSocket endpoint, its health and host-meta; everything else is refused.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class EdgePublicFaceTests(CommEazyAppFixture cluster)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/metrics")]
    [InlineData("/alive")]
    [InlineData("/admin")]
    [InlineData("/xmpp-websocket/../metrics")]
    [InlineData("/favicon.ico")]
    [InlineData("/.env")]
    [InlineData("/wp-login.php")]
    [InlineData("/index.html")]
    [InlineData("/xmpp-websocket.php")]
    [InlineData("/xmpp-websocket/")]
    [InlineData("/XMPP-WEBSOCKET")]
    [InlineData("/Xmpp-WebSocket/?u=x")]
    public async Task NonWebSocketPath_Is403(string path)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "http");
        var refusedBefore = await EdgeRefusals.CountAsync(cluster, "not-public-path");

        using var response = await edge.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Server"), "the Edge must not announce its server software");
        Assert.True(await EdgeRefusals.RisenAboveAsync(cluster, "not-public-path", refusedBefore) > refusedBefore,
            "the 403 is not counted in commeazy_edge_refusals_total{reason=\"not-public-path\"}");
    }

    [Theory]
    [InlineData("/xmpp-websocket/?u=x", "mqtt")]
    [InlineData("/xmpp-websocket/", "xmpp")]
    [InlineData("/XMPP-WEBSOCKET", "xmpp")]
    [InlineData("/Xmpp-WebSocket?u=x", "xmpp")]
    public async Task WebSocketUpgradeOnAnotherPath_Is403(string pathAndQuery, string subprotocol)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var status = await UpgradeStatusAsync(pathAndQuery, subprotocol);

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Theory]
    [InlineData("/xmpp-websocket?u=x", "mqtt", HttpStatusCode.BadRequest)]
    [InlineData("/xmpp-websocket?u=x", "xmpp", HttpStatusCode.SwitchingProtocols)]
    public async Task WebSocketUpgradeOnTheExactPath_ReachesANodeOnlyWithXmppSubprotocol(string pathAndQuery, string subprotocol, HttpStatusCode expected)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var status = await UpgradeStatusAsync(pathAndQuery, subprotocol);

        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData("POST", "/health")]
    [InlineData("PUT", "/health")]
    [InlineData("DELETE", "/.well-known/host-meta")]
    [InlineData("POST", "/.well-known/host-meta.json")]
    public async Task PublicPathWithAnotherMethod_Is405WithReason(string method, string path)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "http");
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}") };

        using var response = await edge.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("GET", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/.well-known/host-meta")]
    [InlineData("/.well-known/host-meta.json")]
    public async Task PublicPathWithHead_Is200(string path)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "http");
        using var request = new HttpRequestMessage(HttpMethod.Head, path);

        using var response = await edge.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The status the Edge answers a WebSocket upgrade with (101 when it went through).</summary>
    private async Task<HttpStatusCode> UpgradeStatusAsync(string pathAndQuery, string subprotocol)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol(subprotocol);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://localhost:{cluster.EdgePort}{pathAndQuery}"), TestContext.Current.CancellationToken);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);
        }
        catch (WebSocketException)
        {
            // Refused: the status is in HttpStatusCode.
        }
        return socket.HttpStatusCode;
    }

    [Fact]
    public async Task HostMeta_PointsAppsAtTheWebSocketEndpoint()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "http");

        var xrd = await edge.GetStringAsync("/.well-known/host-meta", TestContext.Current.CancellationToken);
        var json = await edge.GetStringAsync("/.well-known/host-meta.json", TestContext.Current.CancellationToken);

        var expected = $"ws://localhost:{cluster.EdgePort}/xmpp-websocket";
        Assert.Contains($"rel='urn:xmpp:alt-connections:websocket' href='{expected}'", xrd);
        Assert.Contains(expected, json);
    }

    [Fact]
    public async Task PlainGetOnWebSocketPath_IsRefusedWithReason()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "http");

        using var response = await edge.GetAsync("/xmpp-websocket", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("WebSocket", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Health_ReportsTheEdgeAndEachNode()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "http");

        using var response = await edge.GetAsync("/health", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.All(cluster.Nodes, node => Assert.Contains($"\"{node}\": \"healthy, live\"", body));
    }
}
