using System.Net;
using System.Net.WebSockets;
using System.Text;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// What the Edge's relay refuses on <c>/xmpp-websocket</c>: an upgrade without the <c>xmpp</c> subprotocol (400 with a
/// reason, before any node is involved), and a message over <c>Edge:MaxMessageBytes</c> (32 KiB, Prosody's own frame
/// limit): the app is closed with 1009 and its node-side connection is closed too, so the session ends on the node.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class EdgeWebSocketLimitsTests(CommEazyAppFixture cluster)
{
    /// <summary>The Edge's public HTTP port (asking the app for it surfaces a cluster that failed to start).</summary>
    private int EdgePort => cluster.App.GetEndpoint("edge", "http").Port;

    private const int MaxMessageBytes = 32 * 1024;

    [Theory]
    [InlineData(null)]
    [InlineData("mqtt")]
    [InlineData("xmpp-not")]
    public async Task UpgradeWithoutXmppSubprotocol_Is400WithReason(string? subprotocol)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var refusedBefore = await EdgeRefusals.CountAsync(cluster, "not-xmpp-websocket");

        var (status, response) = await EdgeRequests.SendAsync(IPAddress.Loopback, EdgePort, EdgeRequests.UpgradeHead(subprotocol: subprotocol));

        Assert.Equal(400, status);
        Assert.Contains("the WebSocket subprotocol must be 'xmpp'", response);
        Assert.True(await EdgeRefusals.RisenAboveAsync(cluster, "not-xmpp-websocket", refusedBefore) > refusedBefore,
            "the 400 is not counted in commeazy_edge_refusals_total{reason=\"not-xmpp-websocket\"}");
    }

    [Fact]
    public async Task MessageOverTheLimit_ClosesTheAppWith1009_AndEndsTheSessionOnTheNode()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var ct = TestContext.Current.CancellationToken;
        // Arrange: a signed-in, bound session through the Edge, seen online on its node.
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var session = await AppSignIn.SessionAsync(authBridge, "bigMessage" + Guid.NewGuid().ToString("N")[..8], "+15550000041");
        var bareJid = session.Jid;
        using var xmpp = await RawXmppSession.BindAsync(session, ct);
        await WaitUntilAsync(async () => (await cluster.OnlineAtAsync(bareJid)).Count == 1, "the session to be online on its node", ct);

        // Act: one message just over the limit (a stanza of 32 KiB + 1 byte).
        var stanza = $"<message xmlns='jabber:client' to='{bareJid}' type='chat'><body></body></message>";
        var body = new string('x', MaxMessageBytes + 1 - Encoding.UTF8.GetByteCount(stanza));
        await xmpp.SendAsync(stanza.Replace("<body></body>", $"<body>{body}</body>", StringComparison.Ordinal), ct);
        var close = await xmpp.ReceiveCloseAsync(ct);

        // Assert: the app is told why; the node's side of the connection is closed (its session ends, no hibernation).
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.Status);
        Assert.Contains($"{MaxMessageBytes} bytes", close.Description);
        await WaitUntilAsync(async () => (await cluster.OnlineAtAsync(bareJid)).Count == 0, "the node to end the session", ct);
    }

    /// <summary>
    /// Messages within the limit reach the node whole, however the app framed them: Prosody takes one frame per
    /// message only (it refuses continuation frames, RFC 7395 §3.3.3), so the Edge must not pass on its own pieces.
    /// Each goes to the sender's own full JID, which the node delivers straight back.
    /// </summary>
    [Theory]
    [InlineData(2 * 1024, 1)]
    [InlineData(20 * 1024, 1)]
    [InlineData(MaxMessageBytes, 1)]
    [InlineData(6 * 1024, 3)]
    [InlineData(MaxMessageBytes, 8)]
    public async Task MessageWithinTheLimit_ReachesTheNodeWhole(int messageBytes, int fragments)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var ct = TestContext.Current.CancellationToken;
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var session = await AppSignIn.SessionAsync(authBridge, "fullMessage" + Guid.NewGuid().ToString("N")[..8], "+15550000042");
        using var xmpp = await RawXmppSession.BindAsync(session, ct);

        for (var i = 0; i < 3; i++)
        {
            var id = $"m{i}-{messageBytes}-{fragments}";
            var stanza = $"<message xmlns='jabber:client' to='{xmpp.FullJid}' type='chat' id='{id}'><body></body></message>";
            var body = new string((char)('a' + i), messageBytes - Encoding.UTF8.GetByteCount(stanza));
            await xmpp.SendAsync(stanza.Replace("<body></body>", $"<body>{body}</body>", StringComparison.Ordinal), ct, fragments);
            var echoed = await xmpp.ReceiveUntilAsync(m => m.Contains(id, StringComparison.Ordinal), ct);

            Assert.Contains($">{body}<", echoed);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(250, ct);
        }
    }
}
