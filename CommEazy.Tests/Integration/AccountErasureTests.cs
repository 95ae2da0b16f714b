using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Integration;

/// <summary>GDPR erasure of an online user: the session ends at once, contacts are told, the credentials die.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class AccountErasureTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task DeleteAccountWhileOnline_EndsTheSessionUnsubscribesContactsAndKillsTheCredentials()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: alice and bob on different homes, through the Edge as the app connects.
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var aliceUid = "erase" + Guid.NewGuid().ToString("N")[..12];
        var aliceToken = await AppSignIn.DevTokenAsync(authBridge, aliceUid, "+15550000201");
        var alice = await AppSignIn.SessionAsync(authBridge, aliceUid, "+15550000201");
        var bob = await cluster.WithHomeAsync(cluster.Nodes.First(n => n != HomeOf(alice)), cluster.Nodes, "bob");

        // Act
        var facts = await XmppScenario.RunAsync("erase.mjs", new
        {
            alice, bob, aliceToken,
            eraseUrl = new Uri(authBridge.BaseAddress!, "/v1/account").ToString(),
        }, TimeSpan.FromMinutes(2));

        // Assert
        Assert.Equal(204, (int)facts["eraseStatus"]!);
        Assert.Equal("not-authorized: Account deleted", (string?)facts["streamError"]);
        Assert.True((bool)facts["contactSawUnavailable"]!, "the contact kept seeing the deleted user online");
        Assert.Contains((string?)facts["contactRosterSubscription"], new[] { "none", "removed" });
        Assert.Equal("not-authorized", (string?)facts["oldCredentials"]);
        Assert.Empty(await cluster.OnlineAtAsync(alice.Jid));
    }

    private string HomeOf(AppSession session) => CommEazy.Cluster.HomeNode.Home(ClusterUsers.UserKeyOf(session), cluster.Nodes)!;
}
