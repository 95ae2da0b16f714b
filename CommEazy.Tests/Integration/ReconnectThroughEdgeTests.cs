using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Integration;

/// <summary>
/// An app reconnects while a contact it is subscribed to stays online (so the contact's presence is in the new
/// session's initial burst), as the app does after a restart or a network change: the session must stay up and a
/// message right after the reconnect must arrive.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class ReconnectThroughEdgeTests(CommEazyAppFixture cluster)
{
    private const int Cycles = 3;

    [Fact]
    public async Task ReconnectWithSubscribedContactOnline_MessageArrivesWithoutStreamError()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var alice = await AppSignIn.SessionAsync(authBridge, "ReAlice" + Guid.NewGuid().ToString("N")[..8], "+15550000011");
        var bob = await AppSignIn.SessionAsync(authBridge, "ReBob" + Guid.NewGuid().ToString("N")[..8], "+15550000012");

        // Act
        var result = await XmppScenario.RunAsync("reconnect.mjs", new { alice, bob, body = $"after-reconnect-{Guid.NewGuid():N}", cycles = Cycles },
            TimeSpan.FromSeconds(120));

        // Assert: no client got a stream error or had to reconnect, and every message got through.
        var report = result.ToJsonString();
        AssertCleanStream(result["setup"]!, "alice while subscribing", report);
        AssertCleanStream(result["bob"]!, "bob, online throughout", report);
        var cycles = result["cycles"]!.AsArray();
        Assert.Equal(Cycles, cycles.Count);
        foreach (var cycle in cycles)
        {
            Assert.True((string?)cycle!["subscription"] == "both", "alice's roster after the reconnect: " + report);
            Assert.True((bool)cycle["received"]!, "bob's message right after the reconnect did not reach alice: " + report);
            Assert.True((bool)cycle["answered"]!, "alice's answer did not reach bob: " + report);
            Assert.True((bool)cycle["bobSawAliceBack"]!, "bob did not see alice come back: " + report);
            AssertCleanStream(cycle["alice"]!, "alice after the reconnect", report);
        }
    }

    private static void AssertCleanStream(JsonNode seen, string who, string report)
    {
        Assert.True(seen["streamErrors"]!.AsArray().Count == 0, $"{who}: the server closed the stream: {report}");
        Assert.True((int)seen["reconnects"]! == 0, $"{who}: xmpp.js had to reconnect: {report}");
    }
}
