using System.Text.Json;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Cluster;

/// <summary>
/// Cluster traffic is trusted as local, so only certificate-authenticated members may send it: an intruder on the
/// cluster network gets nowhere, whatever name it claims. And every node runs the same home function (Lua) as the
/// Edge (C#).
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class ClusterTrustTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task IntrudersOnTheS2sPort_CannotAuthenticateOrInject()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: a user at home on the attacked node listens for anything forged.
        var (node, member) = (cluster.Nodes[0], cluster.Nodes[1]);
        var victim = await cluster.WithHomeAsync(node, cluster.Nodes, "victim");
        var listening = XmppScenario.RunAsync("listen.mjs", new { session = victim.At(cluster, node), seconds = 25 }, TimeSpan.FromSeconds(60));
        await WaitUntilOnlineAsync(victim.Jid);

        // Act 1: claim to be a member, skip TLS, send a forward.
        await using var plain = await ConnectAsync(node);
        var plainFeatures = await plain.OpenStreamAsync(member, node);
        await plain.SendAsync(ForgedForward(member, node, victim.Jid, "plain"));
        await plain.ReadUntilAsync(RawS2sPeer.StreamEnd());

        // Act 2 and 3: TLS with a certificate for a member's name, or another name, that the cluster's CA never issued;
        // then SASL EXTERNAL and a forward anyway.
        var refusals = new List<string>();
        foreach (var claimed in new[] { member, "intruder.example" })
        {
            await using var peer = await ConnectAsync(node);
            await peer.OpenStreamAsync(claimed, node);
            using var certificate = RawS2sPeer.ForeignCertificate(claimed);
            await peer.StartTlsAsync(node, certificate);
            await peer.OpenStreamAsync(claimed, node);
            await peer.SendAsync("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>");
            await peer.ReadUntilAsync(RawS2sPeer.SaslOutcome());
            await peer.SendAsync(ForgedForward(claimed, node, victim.Jid, claimed));
            await peer.ReadUntilAsync(RawS2sPeer.StreamEnd());
            refusals.Add($"{claimed}: closed={peer.Closed} received={peer.Received}");

            // Assert: the stream is refused for its certificate; nothing succeeded.
            Assert.DoesNotContain("<success", peer.Received);
            Assert.True(peer.Closed || peer.Received.Contains("not-authorized", StringComparison.Ordinal),
                $"the node kept talking to an intruder with a foreign certificate ({claimed}): {peer.Received}");
        }

        // Assert: TLS was required, dialback is not offered, and nothing forged reached the user.
        Assert.Matches("<starttls[^>]*>\\s*<required", plainFeatures);
        Assert.DoesNotContain("dialback", plainFeatures);
        var bodies = (await listening)["bodies"]!.AsArray().Select(b => (string?)b).ToList();
        Assert.DoesNotContain(bodies, b => b?.StartsWith("forged", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void HomeFunctionInEveryNode_MatchesTheSharedVectors()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Cluster", "Data", "home-vectors.json")))
            .RootElement.GetProperty("cases").GetArrayLength();

        foreach (var node in cluster.Nodes)
        {
            // Act: the module's own Lua functions, inside the running Prosody.
            var (exit, output) = cluster.Shell(node, "commeazy", "selftest");

            // Assert
            Assert.True(exit == 0, $"selftest on {node} failed: {output}");
            Assert.Contains($"{cases}/{cases} cases passed", output);
        }
    }

    private static string ForgedForward(string from, string to, string user, string tag) =>
        $"<message from='{from}' to='{to}' id='forged-{tag}'><fwd xmlns='urn:commeazy:cluster:0' ts='0'>" +
        $"<message xmlns='jabber:client' to='{user}' from='eve@{user.Split('@')[1]}' type='chat'><body>forged via {tag}</body></message></fwd></message>";

    private async Task WaitUntilOnlineAsync(string jid)
    {
        for (var i = 0; i < 100 && (await cluster.OnlineAtAsync(jid)).Count == 0; i++)
        {
            await Task.Delay(200);
        }
    }

    private async Task<RawS2sPeer> ConnectAsync(string node)
    {
        var endpoint = cluster.App.GetEndpoint(node, "s2s");
        var peer = new RawS2sPeer(endpoint.Host, endpoint.Port);
        await peer.ConnectAsync();
        return peer;
    }
}
