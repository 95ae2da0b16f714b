using System.Diagnostics;
using CommEazy.AuthBridge.Accounts;
using CommEazy.Push;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommEazy.AuthBridge.Push;

/// <summary>How a registration changed the table.</summary>
internal enum RegistrationOutcome
{
    Created,
    Replaced,
}

/// <summary>A registration as the app learns it: its node, and the secret (shown once, stored hashed).</summary>
internal sealed record RegisteredDevice(string Node, string Secret, RegistrationOutcome Outcome);

/// <summary>
/// The AuthBridge's side of <see cref="PushRegistrationTable"/>: register, delete, erase. A token registered again
/// replaces its row: same node when the owner is the same (so the app's XEP-0357 registration in Prosody is simply
/// re-enabled with the new secret), a new node when the device now belongs to someone else.
/// </summary>
internal sealed class PushRegistrationStore(NpgsqlDataSource dataSource, IOptions<PushOptions> options, TimeProvider time)
{
    private const string Table = PushRegistrationTable.Name;

    public async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockSchema = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection) { Parameters = { new() { Value = PushRegistrationTable.SchemaLockKey } } })
        {
            await lockSchema.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var create = new NpgsqlCommand(PushRegistrationTable.CreateSql, connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<RegisteredDevice> RegisterAsync(string owner, PushDevice device, CancellationToken cancellationToken)
    {
        using var activity = AuthBridgeMetrics.ActivitySource.StartActivity("register push device");
        activity?.SetTag("db.system.name", "postgresql");
        activity?.SetTag("push.platform", device.Platform);
        var secret = PushRegistrationTable.NewSecret();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Command($"""
                        INSERT INTO {Table} AS r (node, secret_sha256, owner, platform, token, app_id, environment, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                        ON CONFLICT (platform, token) DO UPDATE SET
                            node = CASE WHEN r.owner = EXCLUDED.owner THEN r.node ELSE EXCLUDED.node END,
                            secret_sha256 = EXCLUDED.secret_sha256, owner = EXCLUDED.owner, app_id = EXCLUDED.app_id,
                            environment = EXCLUDED.environment, created_at = EXCLUDED.created_at, last_success_at = NULL
                        RETURNING node, xmax = 0
                        """,
                        PushRegistrationTable.NewNode(), PushRegistrationTable.HashSecret(secret), owner, device.Platform, device.Token,
                        device.AppId, device.Environment, time.GetUtcNow()),
                    // The oldest registrations beyond the limit go (an app reinstalled many times leaves stale tokens).
                    Command($"""
                        DELETE FROM {Table} WHERE owner = $1 AND node IN
                            (SELECT node FROM {Table} WHERE owner = $1 ORDER BY created_at DESC, node OFFSET $2)
                        """, owner, options.Value.MaxRegistrationsPerUser),
                },
            };
            string node;
            bool inserted;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                node = reader.GetString(0);
                inserted = reader.GetBoolean(1);
            }
            await transaction.CommitAsync(cancellationToken);
            var outcome = inserted ? RegistrationOutcome.Created : RegistrationOutcome.Replaced;
            activity?.SetTag("push.registration.outcome", outcome.ToString().ToLowerInvariant());
            return new RegisteredDevice(node, secret, outcome);
        }
        catch (Exception e) when (ProsodyAccountStore.IsUnavailable(e))
        {
            activity?.SetStatus(ActivityStatusCode.Error, "database unavailable");
            throw new AccountStoreUnavailableException(e);
        }
    }

    /// <summary>Deletes the owner's registration <paramref name="node"/>; <see langword="false"/> when the owner has none by that node.</summary>
    public async Task<bool> DeleteAsync(string owner, string node, CancellationToken cancellationToken) =>
        await ExecuteAsync("unregister push device", $"DELETE FROM {Table} WHERE node = $1 AND owner = $2", cancellationToken, node, owner) > 0;

    /// <summary>Deletes every registration of the owner (account erasure); returns how many went.</summary>
    public Task<int> EraseAsync(string owner, CancellationToken cancellationToken) =>
        ExecuteAsync("erase push devices", $"DELETE FROM {Table} WHERE owner = $1", cancellationToken, owner);

    private async Task<int> ExecuteAsync(string operation, string sql, CancellationToken cancellationToken, params object[] values)
    {
        using var activity = AuthBridgeMetrics.ActivitySource.StartActivity(operation);
        activity?.SetTag("db.system.name", "postgresql");
        try
        {
            await using var command = dataSource.CreateCommand(sql);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception e) when (ProsodyAccountStore.IsUnavailable(e))
        {
            activity?.SetStatus(ActivityStatusCode.Error, "database unavailable");
            throw new AccountStoreUnavailableException(e);
        }
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
}
