using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Integration;

/// <summary>The whole AppHost starts, every resource is healthy, and nothing logs an error.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class AppHostTests(CommEazyAppFixture cluster)
{
    [Fact]
    public void AppHostRunsCleanly()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var errors = cluster.Logs.GetSnapshot().Where(r => ResourceLogErrors.IsError(r, cluster.ReadyAt, cluster.Killed)).ToList();

        Assert.True(errors.Count == 0, $"errors logged (cluster ready at {cluster.ReadyAt:O}):\n" + string.Join("\n", errors.Select(e => $"{e.Timestamp:O} [{e.Category}] {e.Message}")));
    }

    [Fact]
    public void ProsodyConfig_PassesCheckConfig()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var (exit, output, error) = DockerEnvironment.Run("docker",
            ["exec", "-u", "prosody", cluster.ContainerId("prosody-1"), "prosodyctl", "check", "config"], TimeSpan.FromSeconds(60));

        Assert.True(exit == 0, $"prosodyctl check config failed (exit {exit}):\n{output}\n{error}");
        Assert.Contains("All checks passed", output + error);
    }
}
