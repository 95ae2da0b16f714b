using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;
using Npgsql;

namespace CommEazy.Tests.Operations;

/// <summary>The streaming replica: an account written on the primary (by a real sign-in) can be read on the replica, which refuses writes; Prometheus sees its lag.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class PostgresReplicaTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task AccountWrittenOnPrimary_IsReadOnReplica()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: a sign-in provisions the account (its rows) on the primary.
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var session = await AppSignIn.SessionAsync(authBridge, "ReplicaUid" + Guid.NewGuid().ToString("N")[..8], "+15550000401");
        var (user, host) = (session.Jid.Split('@')[0], session.Jid.Split('@')[1]);
        var primary = new NpgsqlConnectionStringBuilder(await cluster.App.GetConnectionStringAsync("prosody", TestContext.Current.CancellationToken));
        var replicaEndpoint = cluster.App.GetEndpoint("postgres-replica", "tcp");
        var replica = new NpgsqlConnectionStringBuilder(primary.ConnectionString) { Host = replicaEndpoint.Host, Port = replicaEndpoint.Port };

        // Act: read the account's rows on the replica (streaming is asynchronous: wait for them).
        long rows = 0;
        for (var i = 0; i < 60 && rows < 6; i++)
        {
            try
            {
                rows = await CountAccountRowsAsync(replica.ConnectionString, host, user);
            }
            catch (NpgsqlException) when (i < 59)
            {
                // the replica may still be copying the primary on a first start
            }
            if (rows < 6)
            {
                await Task.Delay(1000, TestContext.Current.CancellationToken);
            }
        }

        // Assert: the same six SCRAM rows as on the primary; the replica is a read-only hot standby.
        Assert.Equal(6, await CountAccountRowsAsync(primary.ConnectionString, host, user));
        Assert.Equal(6, rows);
        await using var connection = new NpgsqlConnection(replica.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var standby = new NpgsqlCommand("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')", connection))
        await using (var reader = await standby.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
            Assert.True(reader.GetBoolean(0), "the replica is not in recovery (not a standby)");
            Assert.Equal("on", reader.GetString(1));
        }

        // Assert: Prometheus has the replica's lag, as the primary reports it.
        using var prometheus = PrometheusApi.For(cluster);
        var lag = await prometheus.WaitForAsync("pg_replication_replica_lag_bytes{application_name=\"postgres_replica\"}",
            r => r.Count == 1, TimeSpan.FromSeconds(30));
        Assert.InRange(lag[0].Value, 0, 10 * 1024 * 1024);
    }

    private static async Task<long> CountAccountRowsAsync(string connectionString, string host, string user)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM prosody WHERE host = @h AND \"user\" = @u AND store = 'accounts'", connection);
        count.Parameters.AddWithValue("h", host);
        count.Parameters.AddWithValue("u", user);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
