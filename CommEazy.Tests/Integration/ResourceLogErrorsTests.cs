using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CommEazy.Tests.Integration;

/// <summary>What AppHostRunsCleanly counts as an error: resource lines by their text, startup probe failures excused until ready.</summary>
public sealed class ResourceLogErrorsTests
{
    private static readonly DateTimeOffset ReadyAt = new(2026, 12, 4, 2, 28, 37, TimeSpan.Zero);

    // Lines as PostgreSQL wrote them while the AppHost started (forwarded from stderr, so at level Error).
    private const string StartingUp = "89: 2026-12-04T02:28:08.0884209Z 2026-12-04 02:28:08.088 UTC [43] FATAL:  the database system is starting up";
    private const string NoDatabase = "93: 2026-12-04T02:28:08.1268959Z 2026-12-04 02:28:08.126 UTC [49] FATAL:  database \"prosody\" does not exist";
    private const string TableRace = "98: 2026-12-04T06:42:20.7374172Z 2026-12-04 06:42:20.731 UTC [60] ERROR:  duplicate key value violates unique constraint \"pg_type_typname_nsp_index\"";
    private const string OtherDuplicate = "99: 2026-12-04T06:42:20.8000000Z 2026-12-04 06:42:20.800 UTC [61] ERROR:  duplicate key value violates unique constraint \"prosody_unique_index\"";
    private const string OtherFatal = "95: 2026-12-04T02:28:09.0000000Z 2026-12-04 02:28:09.000 UTC [50] FATAL:  password authentication failed for user \"postgres\"";

    [Theory]
    [InlineData(StartingUp)]
    [InlineData(NoDatabase)]
    [InlineData(TableRace)]
    public void IsError_StartupProbeFailureBeforeReady_Excused(string message)
    {
        Assert.False(ResourceLogErrors.IsError(PostgresLine(message, ReadyAt.AddSeconds(-29)), ReadyAt, []));
    }

    [Theory]
    [InlineData(StartingUp)]
    [InlineData(NoDatabase)]
    [InlineData(TableRace)]
    public void IsError_StartupProbeFailureAfterReady_Counts(string message)
    {
        Assert.True(ResourceLogErrors.IsError(PostgresLine(message, ReadyAt.AddSeconds(1)), ReadyAt, []));
    }

    [Theory]
    [InlineData(OtherFatal)]
    [InlineData(OtherDuplicate)] // a duplicate row of ours is a real error, also while starting
    public void IsError_OtherErrorBeforeReady_Counts(string message)
    {
        Assert.True(ResourceLogErrors.IsError(PostgresLine(message, ReadyAt.AddSeconds(-28)), ReadyAt, []));
    }

    [Fact]
    public void IsError_PostgresInformationOnStderr_DoesNotCount()
    {
        var line = "12: 2026-12-04T02:28:07.9000000Z 2026-12-04 02:28:07.900 UTC [1] LOG:  database system is ready to accept connections";

        Assert.False(ResourceLogErrors.IsError(PostgresLine(line, ReadyAt.AddSeconds(-30)), ReadyAt, []));
    }

    private static FakeLogRecord PostgresLine(string message, DateTimeOffset at) =>
        new(LogLevel.Error, new EventId(0), null, null, message, [], "CommEazy.AppHost.Resources.postgres", true, at);
}
