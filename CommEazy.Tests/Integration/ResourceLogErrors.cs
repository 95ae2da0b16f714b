using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CommEazy.Tests.Integration;

/// <summary>Which log records of an AppHost run count as errors for <see cref="AppHostTests.AppHostRunsCleanly"/>.</summary>
internal static partial class ResourceLogErrors
{
    private const string ResourcePrefix = "CommEazy.AppHost.Resources.";

    /// <summary>
    /// Resources' output is forwarded line by line, stderr as Error: PostgreSQL logs everything there. So a resource
    /// line counts when its text says error (PostgreSQL, .NET console, Prosody console formats); the AppHost's own logs
    /// count by level. Before <paramref name="readyAt"/> (every resource healthy) the startup probes' failures are
    /// excused, nothing else; after it they count too. From the moment a test kills a node on purpose
    /// (<paramref name="killed"/>), the orchestrator's complaints about that container's lost log stream are expected.
    /// </summary>
    public static bool IsError(FakeLogRecord record, DateTimeOffset readyAt, IEnumerable<(string Resource, DateTimeOffset At)> killed)
    {
        if (record.Category == "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService"
            || (record.Timestamp < readyAt && (StartupProbe().IsMatch(record.Message) || record.Category == "Polly")))
        {
            return false;
        }
        if (record.Category == "Aspire.Hosting.Dcp.DcpExecutor" && killed.Any(k => record.Timestamp >= k.At
            && record.Message.Contains($" logs for {k.Resource}-", StringComparison.Ordinal)))
        {
            return false;
        }
        return record.Category?.StartsWith(ResourcePrefix, StringComparison.Ordinal) == true
            ? ResourceError().IsMatch(record.Message)
            : record.Level >= LogLevel.Error;
    }

    [GeneratedRegex(@"\b(ERROR|FATAL|PANIC):|\b(fail|crit): |\terror\t|Unhandled exception")]
    private static partial Regex ResourceError();

    // While resources start, health probes fail by design (the fixture waits for every resource to be healthy, so a
    // resource that never gets there fails the run anyway): PostgreSQL refuses the probe's connection while it is
    // still starting up and logs the probe of a database Aspire has not created yet, and the health check service
    // logs each failed probe; the fixture's resilience handler (Polly) logs a probe that timed out against a container
    // still starting. And on an empty database the nodes, starting together, race to create Prosody's tables: each
    // mod_storage_sql runs CREATE TABLE IF NOT EXISTS at start and ignores a failure, but PostgreSQL logs the loser's.
    [GeneratedRegex(@"FATAL:  (database ""\w+"" does not exist|the database system is starting up)|ERROR:  duplicate key value violates unique constraint ""pg_(type_typname|class_relname)_nsp_index""")]
    private static partial Regex StartupProbe();
}
