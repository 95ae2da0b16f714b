using CommEazy.Cluster;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Cluster;

/// <summary>A client that lands on a node that is not its home is sent home (RFC 7395 see-other-uri) and chats from there.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class MoveToHomeTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task ClientOnWrongNode_IsSentHomeWithItsUserKey_AndChats()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: dave lives on the third node but his client connects straight to the first.
        var alice = await cluster.WithHomeAsync(cluster.Nodes[1], cluster.Nodes, "alice");
        var dave = await cluster.WithHomeAsync(cluster.Nodes[2], cluster.Nodes, "dave");

        // Act
        var facts = await XmppScenario.RunAsync("cluster-move.mjs",
            new { alice = alice.At(cluster, cluster.Nodes[1]), dave = dave.At(cluster, cluster.Nodes[0]) }, TimeSpan.FromMinutes(2));

        // Assert: the node pointed dave at the Edge with his own user key, which leads to his home, where he chats.
        var uri = new Uri((string?)facts["seeOtherUri"] ?? throw new Xunit.Sdk.XunitException("no see-other-uri was received"));
        Assert.Equal(cluster.EdgePort, uri.Port);
        Assert.Equal("/xmpp-websocket", uri.AbsolutePath);
        Assert.Equal(ClusterUsers.UserKeyOf(dave), System.Web.HttpUtility.ParseQueryString(uri.Query)["u"]);
        Assert.Equal(cluster.Nodes[2], HomeNode.Home(ClusterUsers.UserKeyOf(dave), cluster.Nodes));
        Assert.Equal("found you at home", (string?)facts["chat"]);
        Assert.Equal("yes, here", (string?)facts["reply"]);
    }
}
