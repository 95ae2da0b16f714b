using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using CommEazy.Cluster;
using CommEazy.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace CommEazy.Tests.Cluster;

/// <summary>
/// A node is killed, or drained on purpose, while its users chat: their contacts see them go, nothing sent to them
/// vanishes (it arrives or bounces to the sender), and they come back on their new home and chat again.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class NodeFailureTests(CommEazyAppFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task NodeKilled_ContactsSeeItsUsersGo_NothingVanishes_UsersChatFromTheirNewHome()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var victim = cluster.Nodes[1];
        try
        {
            // Act
            cluster.Killed.Add((victim, DateTimeOffset.UtcNow));
            var (facts, bob) = await RunAsync(victim, ["docker", "kill", cluster.ContainerId(victim)]);

            // Assert
            await AssertMovedAsync(facts, bob, victim);
            Figures.Print(output, $"node killed: contact saw its user unavailable after {facts["unavailableAfterMs"]} ms; " +
                $"the user was back on its new home after {facts["bobBackAfterMs"]} ms; first message delivered " +
                $"{facts["firstDeliveredAfterMs"]} ms after the kill; meanwhile {facts["messages"]!["bounced"]} bounced, " +
                $"{facts["messages"]!["delivered"]} delivered, {facts["messages"]!["lost"]} lost");
        }
        finally
        {
            await RestoreAsync(victim, () => cluster.App.Services.GetRequiredService<ResourceCommandService>()
                .ExecuteCommandAsync(victim, KnownResourceCommands.StartCommand));
        }
    }

    [Fact]
    public async Task NodeDrained_ItsUsersMoveAndKeepChatting_NothingVanishes()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var drained = cluster.Nodes[2];
        try
        {
            // Act
            var (facts, bob) = await RunAsync(drained,
                ["docker", "exec", "-u", "prosody", cluster.ContainerId(drained), "prosodyctl", "shell", "commeazy", "drain"]);

            // Assert
            await AssertMovedAsync(facts, bob, drained);
            Figures.Print(output, $"node drained: its user was back on its new home after {facts["bobBackAfterMs"]} ms; first message " +
                $"delivered {facts["firstDeliveredAfterMs"]} ms after the drain; meanwhile {facts["messages"]!["bounced"]} bounced, " +
                $"{facts["messages"]!["delivered"]} delivered, {facts["messages"]!["lost"]} lost");
        }
        finally
        {
            await RestoreAsync(drained, () => Task.FromResult(cluster.Shell(drained, "commeazy", "undrain")));
        }
    }

    [Fact]
    public async Task NodeUndrained_ItsUsersMoveBackAndKeepChatting_NothingVanishes()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var node = cluster.Nodes[2];
        try
        {
            // Arrange: the node drains first, so bob (whose home it is) starts on a stand-in home.
            Assert.Contains("draining", cluster.Shell(node, "commeazy", "drain").Output);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await cluster.WaitForLiveMembersAsync([.. cluster.Nodes.Where(n => n != node)], timeout.Token);

            // Act: it rejoins while alice writes to bob.
            var (facts, bob) = await RunAsync(node,
                ["docker", "exec", "-u", "prosody", cluster.ContainerId(node), "prosodyctl", "shell", "commeazy", "undrain"]);

            // Assert: bob moved back to his home and nothing vanished on the way.
            AssertNothingVanished(facts);
            Assert.Equal([node], await cluster.OnlineAtAsync(bob.Jid));
            Figures.Print(output, $"node undrained: its user was back on it after {facts["bobBackAfterMs"]} ms; meanwhile " +
                $"{facts["messages"]!["bounced"]} bounced, {facts["messages"]!["delivered"]} delivered, {facts["messages"]!["lost"]} lost");
        }
        finally
        {
            await RestoreAsync(node, () => Task.FromResult(cluster.Shell(node, "commeazy", "undrain")));
        }
    }

    /// <summary>Alice on the first node, bob homed on <paramref name="node"/>; runs the failover scenario with <paramref name="command"/>.</summary>
    private async Task<(JsonNode Facts, AppSession Bob)> RunAsync(string node, string[] command)
    {
        var alice = await cluster.WithHomeAsync(cluster.Nodes[0], cluster.Nodes, "alice");
        var bob = await cluster.WithHomeAsync(node, cluster.Nodes, "bob");
        var facts = await XmppScenario.RunAsync("cluster-failover.mjs",
            new { alice, bob, command, expectUnavailable = true }, TimeSpan.FromMinutes(3));
        return (facts, bob);
    }

    private static void AssertNothingVanished(JsonNode facts)
    {
        var messages = facts["messages"]!;
        Assert.True((bool)facts["sawUnavailable"]!, "the contact never saw the moving user go offline");
        Assert.Equal(0, (int)messages["lost"]!);
        Assert.True((int)messages["afterBack"]!["delivered"]! > 0, "no message was delivered after the user came back");
        Assert.Equal(0, (int)messages["afterBack"]!["bounced"]!);
        Assert.True((bool)facts["sawBobBack"]!, "the contact never saw the user come back");
        Assert.Equal("back and chatting", (string?)facts["reply"]);
    }

    private async Task AssertMovedAsync(JsonNode facts, AppSession bob, string gone)
    {
        AssertNothingVanished(facts);
        var newHome = HomeNode.Home(ClusterUsers.UserKeyOf(bob), [.. cluster.Nodes.Where(n => n != gone)]);
        Assert.NotEqual(gone, newHome);
        // The scenario left bob's session behind (hibernating): the cluster's records say where it is.
        Assert.Equal([newHome!], await cluster.OnlineAtAsync(bob.Jid));
    }

    /// <summary>Brings the node back (with <paramref name="restore"/>) and waits until the cluster is whole again.</summary>
    private async Task RestoreAsync(string node, Func<Task> restore)
    {
        await restore();
        await cluster.WaitUntilWholeAsync(node);
    }
}
