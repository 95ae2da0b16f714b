using Aspire.Hosting.Testing;
using System.Net;
using System.Net.WebSockets;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// One client address holds at most <c>Edge:ConnectionsPerAddress</c> connections; the next gets 429 with a reason. The
/// address is the one a trusted proxy forwards (the fixture trusts 127.0.0.1), so the test claims addresses of its
/// own; from an untrusted source (::1 here) the header is ignored and the connection counts for its real address.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class EdgeConnectionsPerAddressTests(CommEazyAppFixture cluster)
{
    /// <summary>The Edge's public HTTP port (asking the app for it surfaces a cluster that failed to start).</summary>
    private int EdgePort => cluster.App.GetEndpoint("edge", "http").Port;

    private const int Cap = CommEazyAppFixture.EdgeConnectionsPerAddress;

    [Fact]
    public async Task OneAddressOverTheCap_Gets429_OthersStillConnect()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var ct = TestContext.Current.CancellationToken;
        // Loopback addresses only ever appear in the header: nothing is sent to them.
        var crowded = $"127.0.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}";
        var other = "127.0.255.7";
        // Arrange: the cap's worth of connections from the crowded address, each to some user's home node.
        await using var crowd = await IdleConnections.OpenAsync(IPAddress.Loopback, EdgePort, crowded, Cap, ct);

        var refusedBefore = await EdgeRefusals.CountAsync(cluster, "too-many-connections");

        // Act
        var (overStatus, overResponse) = await EdgeRequests.SendAsync(IPAddress.Loopback, EdgePort, EdgeRequests.UpgradeHead(crowded));
        using var otherAddress = await EdgeRequests.OpenAsync(IPAddress.Loopback, EdgePort, other, ct);

        // Assert: the crowded address is refused with a reason; another address is not.
        Assert.Equal(429, overStatus);
        Assert.Contains($"already holds {Cap} connections", overResponse);
        Assert.Contains("Retry-After:", overResponse, StringComparison.OrdinalIgnoreCase);
        Assert.True(await EdgeRefusals.RisenAboveAsync(cluster, "too-many-connections", refusedBefore) > refusedBefore,
            "the 429 is not counted in commeazy_edge_refusals_total{reason=\"too-many-connections\"}");
        Assert.Equal(WebSocketState.Open, otherAddress.State);
        Assert.Equal("xmpp", otherAddress.SubProtocol);

        // Assert: from a source that is not a trusted proxy the header is ignored (::1 counts for itself).
        Assert.True(await ListensOnIPv6LoopbackAsync(), "the Edge binds localhost, so it should answer on ::1 as well");
        using var untrusted = await EdgeRequests.OpenAsync(IPAddress.IPv6Loopback, EdgePort, crowded, ct);
        Assert.Equal(WebSocketState.Open, untrusted.State);

        // Assert: a connection that ends gives its place back.
        crowd.Sockets[0].Abort();
        using var reopened = await ReopenWithinAsync(crowded, TimeSpan.FromSeconds(15), ct);
        Assert.Equal(WebSocketState.Open, reopened.State);
    }

    /// <summary>Whether the Edge's public port answers on ::1 (Kestrel binds both loopbacks for "localhost").</summary>
    private async Task<bool> ListensOnIPv6LoopbackAsync()
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient(System.Net.Sockets.AddressFamily.InterNetworkV6);
            await probe.ConnectAsync(IPAddress.IPv6Loopback, EdgePort);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private async Task<ClientWebSocket> ReopenWithinAsync(string address, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                return await EdgeRequests.OpenAsync(IPAddress.Loopback, EdgePort, address, ct);
            }
            catch (InvalidOperationException e) when (e.Message.EndsWith("429", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, ct);
            }
        }
    }
}
