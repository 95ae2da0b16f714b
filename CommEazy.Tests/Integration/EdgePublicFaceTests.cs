using System.Net;
using Aspire.Hosting.Testing;
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
    public async Task NonWebSocketPath_Is403(string path)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var edge = cluster.App.CreateHttpClient("edge", "http");

        using var response = await edge.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Server"), "the Edge must not announce its server software");
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
        Assert.Contains("\"prosody-1\": \"healthy\"", body);
    }
}
