using System.Net.WebSockets;
using System.Text.RegularExpressions;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Integration;

/// <summary>At the default level the Edge logs neither proxied URLs (they carry the user key <c>u</c>) nor its health probes.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed partial class EdgeLoggingTests(CommEazyAppFixture cluster)
{
    private const string EdgeCategory = "CommEazy.AppHost.Resources.edge";

    [Fact]
    public async Task ProxiedWebSocketAndHealthProbes_NotLoggedAtDefaultLevel()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: a user key no other test uses.
        var userKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("xmpp");

        // Act: a WebSocket through the Edge to a node and back.
        await socket.ConnectAsync(new Uri($"ws://localhost:{cluster.EdgePort}/xmpp-websocket?u={userKey}"), TestContext.Current.CancellationToken);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);

        // Assert: resource logs arrive asynchronously; watch them over more than two probe intervals (5 s each).
        for (var second = 0; second <= 12; second++)
        {
            Assert.DoesNotContain(EdgeLines(), line => line.Contains(userKey, StringComparison.Ordinal));
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        }
        var yarpInformation = EdgeLines().Where(line => YarpInformation().IsMatch(line)).ToList();
        Assert.True(yarpInformation.Count == 0, "YARP logs at Information:\n" + string.Join("\n", yarpInformation.Take(10)));
    }

    /// <summary>The Edge's console lines (its console logger writes "info: Category[id]" then the message), colour codes removed.</summary>
    private IEnumerable<string> EdgeLines() =>
        cluster.Logs.GetSnapshot().Where(r => r.Category == EdgeCategory).Select(r => AnsiColour().Replace(r.Message, ""));

    [GeneratedRegex(@"\binfo: Yarp\.")]
    private static partial Regex YarpInformation();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiColour();
}
