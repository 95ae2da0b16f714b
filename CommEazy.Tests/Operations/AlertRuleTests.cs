using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>
/// The alert rules, in the Prometheus container that evaluates them: <c>promtool check rules</c> (they load) and
/// <c>promtool test rules</c> (containers/prometheus/tests: series that fire each alert and series that must not).
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class AlertRuleTests(CommEazyAppFixture cluster)
{
    /// <summary>The product's alert table, one rule each (plus the Edge's "no node at all" and scrape failures).</summary>
    public static readonly string[] ProductAlerts =
    [
        "ProsodySessionsHigh", "ProsodySessionsCritical", "ProsodyMemoryHigh", "ProsodyStanzaRateHigh", "ProsodyFileDescriptorsLow",
        "EdgeHealthyNodesLow", "EdgeNoHealthyNode", "PostgresReplicationLagHigh", "CoturnAllocationsHigh", "CertificateExpiresSoon",
        "EdgeErrorRateHigh", "PushGatewayErrorRateHigh", "TargetDown",
    ];

    [Fact]
    public void PromtoolCheckRules_Succeeds()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var (exit, output) = Promtool("check rules /etc/prometheus/rules/*.yml");

        Assert.True(exit == 0, "promtool check rules failed:\n" + output);
        Assert.Contains($"SUCCESS: {ProductAlerts.Length} rules found", output);
    }

    [Fact]
    public void PromtoolTestRules_FireAndStaySilentAsSpecified()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var (exit, output) = Promtool("test rules /etc/prometheus/tests/*.yml");

        Assert.True(exit == 0, "promtool test rules failed:\n" + output);
        Assert.Contains("SUCCESS", output);
        // Every product alert has a test that fires it (exp_alerts lists exactly what fires, so the rest stay silent).
        var (_, tests) = Shell("cat /etc/prometheus/tests/*.yml");
        foreach (var alert in ProductAlerts)
        {
            Assert.Contains($"alertname: {alert}", tests);
        }
    }

    /// <summary>
    /// The README's own promtool lines ("Alerts"), run on the host exactly as an operator pastes them: a glob there is
    /// expanded by the host's shell unless the line hands it to the container's, and the host has no /etc/prometheus.
    /// </summary>
    [Fact]
    public void ReadmePromtoolCommands_SucceedAsWrittenOnTheHost()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var lines = File.ReadAllLines(Path.Combine(DashboardTests.RepositoryRoot(), "README.md"))
            .Where(line => line.StartsWith("docker exec <prometheus-container> ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, lines.Length);

        foreach (var line in lines)
        {
            var command = line.Replace("<prometheus-container>", cluster.ContainerId("prometheus"), StringComparison.Ordinal);
            var (exit, output, error) = DockerEnvironment.Run("bash", ["-c", command], TimeSpan.FromSeconds(60));

            Assert.True(exit == 0, $"the README's `{line}` failed (exit {exit}):\n{output}{error}");
            Assert.Contains("SUCCESS", output + error);
        }
    }

    private (int Exit, string Output) Promtool(string arguments) => Shell("promtool " + arguments);

    private (int Exit, string Output) Shell(string command)
    {
        var (exit, output, error) = DockerEnvironment.Run("docker", ["exec", cluster.ContainerId("prometheus"), "sh", "-c", command], TimeSpan.FromSeconds(60));
        return (exit, output + error);
    }
}
