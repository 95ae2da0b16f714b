using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;
using Npgsql;

namespace CommEazy.Tests.Integration;

/// <summary>Two real apps (xmpp.js) sign in with phone-auth tokens and chat through the Edge; nothing they said is stored.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class ChatThroughEdgeTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task TwoAppsChatThroughEdge_MessageArrivesAndIsStoredNowhere()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var alice = await AppSignIn.SessionAsync(authBridge, "AliceUid" + Guid.NewGuid().ToString("N")[..8], "+15550000001");
        var bob = await AppSignIn.SessionAsync(authBridge, "bobUid" + Guid.NewGuid().ToString("N")[..8], "+15550000002");
        var canary = $"zero-storage-canary-{Guid.NewGuid():N}";

        // Act
        var result = await XmppScenario.RunAsync("chat.mjs", new { alice, bob, body = canary }, TimeSpan.FromSeconds(90));

        // Assert: the apps went through the Edge, used SCRAM-SHA-1, saw each other and got each other's messages.
        Assert.StartsWith($"ws://localhost:{cluster.EdgePort}/", alice.WebSocketUrl);
        Assert.Equal(["SCRAM-SHA-1", "SCRAM-SHA-1"], result["mechanisms"]!.AsArray().Select(m => (string?)m));
        Assert.True((bool)result["presenceExchanged"]!);
        Assert.Equal(canary, (string?)result["received"]!["body"]);
        Assert.Equal(alice.Jid, (string?)result["received"]!["from"]);
        Assert.Equal("reply:" + canary, (string?)result["reply"]!["body"]);

        // Assert: zero storage — the body is in no table of any database, and in no log line of any resource.
        var found = await RowsContainingAsync(canary);
        Assert.True(found.Count == 0, "message content stored in: " + string.Join(", ", found));
        Assert.DoesNotContain(cluster.Logs.GetSnapshot(), r => r.Message.Contains(canary, StringComparison.Ordinal));
    }

    /// <summary>Every table in every database of the server whose rows, cast to text, contain <paramref name="needle"/>.</summary>
    private async Task<List<string>> RowsContainingAsync(string needle)
    {
        var found = new List<string>();
        var admin = new NpgsqlConnectionStringBuilder(await cluster.App.GetConnectionStringAsync("prosody"));
        await using var server = new NpgsqlConnection(admin.ConnectionString);
        await server.OpenAsync();
        var databases = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datallowconn", server))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                databases.Add(reader.GetString(0));
            }
        }
        Assert.Contains("prosody", databases);
        foreach (var database in databases)
        {
            admin.Database = database;
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync();
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand(
                "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables " +
                "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')", connection))
            await using (var reader = await list.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tables.Add(reader.GetString(0));
                }
            }
            foreach (var table in tables)
            {
                await using var search = new NpgsqlCommand($"SELECT count(*) FROM {table} t WHERE t::text LIKE '%' || @needle || '%'", connection);
                search.Parameters.AddWithValue("needle", needle);
                if ((long)(await search.ExecuteScalarAsync())! > 0)
                {
                    found.Add($"{database}:{table}");
                }
            }
        }
        return found;
    }
}
