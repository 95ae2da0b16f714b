using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommEazy.AuthBridge.Accounts;

/// <summary>How provisioning changed the account.</summary>
internal enum ProvisionOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>
/// Writes and erases accounts directly in Prosody's SQL storage, table <c>prosody(host, "user", store, key,
/// type, value)</c>. Each operation is one transaction holding a per-user advisory lock, so concurrent sessions
/// of one user cannot interleave, and no unique index on the table is assumed.
/// </summary>
internal sealed class ProsodyAccountStore(NpgsqlDataSource dataSource, IOptions<AuthBridgeOptions> options, TimeProvider time)
{
    private const string LockUserSql = """SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))""";

    /// <summary>
    /// Creates the account, or sets its credentials for <paramref name="password"/> keeping <c>created</c>; returns
    /// what changed and the SCRAM credentials the account has now.
    /// </summary>
    public async Task<(ProvisionOutcome Outcome, ScramCredentials Credentials)> ProvisionAsync(string localpart, string password, CancellationToken cancellationToken)
    {
        using var activity = AuthBridgeMetrics.ActivitySource.StartActivity("provision account");
        activity?.SetTag("db.system.name", "postgresql");
        var host = options.Value.XmppDomain;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var existing = await LockAndReadAccountAsync(connection, host, localpart, cancellationToken);

            var current = ProsodyAccountRows.ReadCredentials(existing);
            var outcome = ProvisionOutcome.Unchanged;
            IReadOnlyList<ProsodyRow> rows = [];
            if (current is not { IterationCount: ScramCredentials.DefaultIterationCount } || !current.Verify(password))
            {
                var now = time.GetUtcNow().ToUnixTimeSeconds();
                var created = ProsodyAccountRows.ReadCreated(existing);
                current = ScramCredentials.Create(password);
                rows = ProsodyAccountRows.Accounts(current, created ?? now, now);
                outcome = created is null ? ProvisionOutcome.Created : ProvisionOutcome.Updated;
            }
            await WriteAsync(connection, host, localpart, rows, cancellationToken);
            // Committed before the response: the client logs in right after it.
            await transaction.CommitAsync(cancellationToken);
            activity?.SetTag("commeazy.account.outcome", outcome.ToString().ToLowerInvariant());
            return (outcome, current);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            activity?.SetStatus(ActivityStatusCode.Error, "database unavailable");
            throw new AccountStoreUnavailableException(e);
        }
    }

    /// <summary>Deletes every row of the user in every store (GDPR erasure); returns how many rows went.</summary>
    public async Task<int> EraseAsync(string localpart, CancellationToken cancellationToken)
    {
        using var activity = AuthBridgeMetrics.ActivitySource.StartActivity("erase account");
        activity?.SetTag("db.system.name", "postgresql");
        var host = options.Value.XmppDomain;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Command(LockUserSql, host, localpart),
                    Command("""DELETE FROM prosody WHERE host = $1 AND "user" = $2""", host, localpart),
                    Command("SELECT to_regclass('prosodyarchive') IS NOT NULL"),
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var hasArchive = reader.GetBoolean(0);
            await reader.DisposeAsync();
            var deleted = batch.BatchCommands[1].RecordsAffected;
            if (hasArchive)
            {
                // Unused by CommEazy (no MAM), but PEP items live there; erasure means every table.
                await using var archive = new NpgsqlCommand("""DELETE FROM prosodyarchive WHERE host = $1 AND "user" = $2""", connection)
                {
                    Parameters = { new() { Value = host }, new() { Value = localpart } },
                };
                deleted += await archive.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return deleted;
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            activity?.SetStatus(ActivityStatusCode.Error, "database unavailable");
            throw new AccountStoreUnavailableException(e);
        }
    }

    private static async Task<Dictionary<string, string>> LockAndReadAccountAsync(
        NpgsqlConnection connection, string host, string localpart, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Command(LockUserSql, host, localpart),
                Command("""SELECT key, value FROM prosody WHERE host = $1 AND "user" = $2 AND store = $3""",
                    host, localpart, ProsodyAccountRows.AccountsStore),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            values[reader.GetString(0)] = reader.GetString(1);
        }
        return values;
    }

    private static async Task WriteAsync(
        NpgsqlConnection connection, string host, string localpart, IReadOnlyList<ProsodyRow> accountRows, CancellationToken cancellationToken)
    {
        var role = ProsodyAccountRows.DefaultRole;
        await using var batch = new NpgsqlBatch(connection);
        if (accountRows.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                """DELETE FROM prosody WHERE host = $1 AND "user" = $2 AND store = $3 AND key = ANY($4)""",
                host, localpart, ProsodyAccountRows.AccountsStore, accountRows.Select(r => r.Key).ToArray()));
            batch.BatchCommands.Add(Command(
                """
                INSERT INTO prosody (host, "user", store, key, type, value)
                SELECT $1, $2, r.store, r.key, r.type, r.value FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS r(store, key, type, value)
                """,
                host, localpart, accountRows.Select(r => r.Store).ToArray(), accountRows.Select(r => r.Key).ToArray(),
                accountRows.Select(r => r.Type).ToArray(), accountRows.Select(r => r.Value).ToArray()));
        }
        // An existing role (e.g. an operator restricted the user) is kept.
        batch.BatchCommands.Add(Command(
            """
            INSERT INTO prosody (host, "user", store, key, type, value) SELECT $1, $2, $3, $4, $5, $6
            WHERE NOT EXISTS (SELECT 1 FROM prosody WHERE host = $1 AND "user" = $2 AND store = $3 AND key = $4)
            """,
            host, localpart, role.Store, role.Key, role.Type, role.Value));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }

    /// <summary>Unreachable, refusing connections, not ready (no table yet) or overloaded: worth a retry later.</summary>
    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState is "42P01" || pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                                || pg.SqlState.StartsWith("53", StringComparison.Ordinal) || pg.SqlState.StartsWith("57", StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException => true,
        _ => false,
    };
}
