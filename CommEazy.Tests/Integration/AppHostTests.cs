using CommEazy.Tests.Fixtures;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CommEazy.Tests.Integration;

/// <summary>The whole AppHost starts, every resource is healthy, and nothing logs an error.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class AppHostTests(CommEazyAppFixture cluster)
{
    [Fact]
    public void AppHostRunsCleanly()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var errors = cluster.Logs.GetSnapshot().Where(IsError).ToList();

        Assert.True(errors.Count == 0, $"errors logged (cluster ready at {cluster.ReadyAt:O}):\n" + string.Join("\n", errors.Select(e => $"{e.Timestamp:O} [{e.Category}] {e.Message}")));
    }

    // Resources' output is forwarded line by line, stderr as Error: PostgreSQL logs everything there. So a resource
    // line counts when its text says error (PostgreSQL, .NET console, Prosody console formats); the AppHost's own
    // logs count by level.
    private static readonly Regex ResourceError = new(@"\b(ERROR|FATAL|PANIC):|\b(fail|crit): |\terror\t|Unhandled exception", RegexOptions.Compiled);

    // While resources start, health probes fail by design (the fixture waits for every resource to be healthy, so
    // a resource that never gets there fails the run anyway): PostgreSQL logs the probe of a database Aspire has not
    // created yet, the health check service logs each failed probe, and the fixture's resilience handler logs a probe
    // that timed out against a container still starting (Polly). Nothing else is excused.
    private static readonly Regex StartupProbe = new(@"FATAL:  database ""\w+"" does not exist", RegexOptions.Compiled);

    private bool IsError(FakeLogRecord record)
    {
        if (record.Category == "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService"
            || (record.Timestamp < cluster.ReadyAt && (StartupProbe.IsMatch(record.Message) || record.Category == "Polly")))
        {
            return false;
        }
        // A test that kills a node (NodeFailureTests) makes the orchestrator lose that container's log stream.
        if (record.Category == "Aspire.Hosting.Dcp.DcpExecutor" && cluster.Killed.Any(k => record.Timestamp >= k.At
            && record.Message.Contains($" logs for {k.Resource}-", StringComparison.Ordinal)))
        {
            return false;
        }
        return record.Category?.StartsWith("CommEazy.AppHost.Resources.", StringComparison.Ordinal) == true
            ? ResourceError.IsMatch(record.Message)
            : record.Level >= LogLevel.Error;
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
