using System.Diagnostics;
using CommEazy.Push;
using CommEazy.PushGateway.Providers;
using Npgsql;

namespace CommEazy.PushGateway.Registrations;

/// <summary>Registrations in Prosody's PostgreSQL database, table <see cref="PushRegistrationTable.Name"/> (created by the AuthBridge).</summary>
internal sealed class PostgresPushRegistrationStore(NpgsqlDataSource dataSource, TimeProvider time) : IPushRegistrationStore
{
    private const string Table = PushRegistrationTable.Name;
    private static readonly TimeSpan SuccessResolution = TimeSpan.FromHours(1);

    private const string FindSql = $"""
        SELECT r.secret_sha256, r.platform, r.token, r.app_id, r.environment, r.created_at, r.last_success_at,
               EXISTS (SELECT 1 FROM {Table} v WHERE v.owner = r.owner AND v.platform = 'apns-voip'
                       AND v.app_id = r.app_id AND v.environment = r.environment)
        FROM {Table} r WHERE r.node = $1
        """;

    public async Task<PushRegistration?> FindAsync(string node, CancellationToken cancellationToken)
    {
        return await RunAsync("find push registration", async () =>
        {
            await using var command = dataSource.CreateCommand(FindSql);
            command.Parameters.Add(new NpgsqlParameter { Value = node });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            return new PushRegistration(
                node,
                (byte[])reader[0],
                ParsePlatform(reader.GetString(1)),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4) == "sandbox" ? PushEnvironment.Sandbox : PushEnvironment.Production,
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetBoolean(7));
        });
    }

    public Task<bool> RemoveRejectedAsync(PushRegistration registration, DateTimeOffset? invalidSince, CancellationToken cancellationToken) =>
        RunAsync("remove rejected push registration", async () =>
        {
            await using var command = dataSource.CreateCommand(
                $"DELETE FROM {Table} WHERE node = $1 AND token = $2 AND ($3::timestamptz IS NULL OR created_at < $3)");
            command.Parameters.Add(new NpgsqlParameter { Value = registration.Node });
            command.Parameters.Add(new NpgsqlParameter { Value = registration.DeviceToken });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)invalidSince ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        });

    public async Task MarkDeliveredAsync(PushRegistration registration, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (registration.LastSuccessAt is { } last && now - last < SuccessResolution)
        {
            return; // one write per registration and hour, not per push
        }
        await RunAsync("mark push delivered", async () =>
        {
            await using var command = dataSource.CreateCommand($"UPDATE {Table} SET last_success_at = $2 WHERE node = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = registration.Node });
            command.Parameters.Add(new NpgsqlParameter { Value = now });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });
    }

    private static PushPlatform ParsePlatform(string platform) => platform switch
    {
        "apns" => PushPlatform.Apns,
        "apns-voip" => PushPlatform.ApnsVoip,
        "fcm" => PushPlatform.Fcm,
        _ => throw new InvalidOperationException($"unknown platform '{platform}' in {Table}"),
    };

    private static async Task<T> RunAsync<T>(string operation, Func<Task<T>> action)
    {
        using var activity = PushGatewayMetrics.ActivitySource.StartActivity(operation);
        activity?.SetTag("db.system.name", "postgresql");
        try
        {
            return await action();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // Includes 42P01 (the AuthBridge has not created the table yet): retry later, never "unknown node".
            activity?.SetStatus(ActivityStatusCode.Error, "database unavailable");
            throw new RegistrationStoreUnavailableException(e);
        }
    }
}
