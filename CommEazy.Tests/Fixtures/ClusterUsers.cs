using Aspire.Hosting.Testing;
using CommEazy.Cluster;
using Npgsql;

namespace CommEazy.Tests.Fixtures;

/// <summary>Users with a chosen home node, and where they are online: what the cluster tests arrange and check.</summary>
internal static class ClusterUsers
{
    /// <summary>The user key <c>u</c> in a session's WebSocket URL.</summary>
    public static string UserKeyOf(AppSession session) =>
        System.Web.HttpUtility.ParseQueryString(new Uri(session.WebSocketUrl).Query)["u"]
            ?? throw new InvalidOperationException("the session URL carries no user key");

    /// <summary>
    /// Signs up fresh users until one's home, among <paramref name="members"/>, is <paramref name="home"/> (a third of tries
    /// succeed with three nodes). The session's URL still points at the Edge.
    /// </summary>
    public static async Task<AppSession> WithHomeAsync(this CommEazyAppFixture cluster, string home, IReadOnlyCollection<string> members, string label)
    {
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var session = await AppSignIn.SessionAsync(authBridge, $"{label}{Guid.NewGuid():N}"[..24], "+15550000100");
            if (HomeNode.Home(UserKeyOf(session), members) == home)
            {
                return session;
            }
        }
        throw new InvalidOperationException($"no user homed on {home} after 64 tries: is the home function broken?");
    }

    /// <summary>A fresh user's session (through the Edge), wherever its home is.</summary>
    public static async Task<AppSession> SessionAsync(this CommEazyAppFixture cluster, string label)
    {
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        return await AppSignIn.SessionAsync(authBridge, $"{label}{Guid.NewGuid():N}"[..24], "+15550000100");
    }

    /// <summary>
    /// Waits until <paramref name="node"/> (just restarted or undrained) is healthy, every node is a live member again,
    /// the Edge's health probes pass for each (it takes a node back after two passes) and the push gateway has its link
    /// to each, so the tests after this one find the cluster whole.
    /// </summary>
    public static async Task WaitUntilWholeAsync(this CommEazyAppFixture cluster, string node)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await cluster.App.ResourceNotifications.WaitForResourceHealthyAsync(node, timeout.Token);
        await cluster.WaitForLiveMembersAsync(cluster.Nodes, timeout.Token);
        using var edge = cluster.App.CreateHttpClient("edge", "http");
        while (await edge.GetStringAsync("/health", timeout.Token) is var health
            && !cluster.Nodes.All(n => health.Contains($"\"{n}\": \"healthy, live\"", StringComparison.Ordinal)))
        {
            await Task.Delay(500, timeout.Token);
        }
        using var push = new PushGateway.PushCluster(cluster);
        while ((string?)(await push.GatewayHealthAsync())["checks"]?["prosody-links"]?["status"] != "Healthy")
        {
            await Task.Delay(500, timeout.Token);
        }
    }

    /// <summary>The same session, but connecting straight to <paramref name="node"/> instead of through the Edge.</summary>
    public static AppSession At(this AppSession session, CommEazyAppFixture cluster, string node) =>
        session with { WebSocketUrl = cluster.NodeWebSocketUrl(node) };

    /// <summary>The WebSocket URL of one node's own listener (bypassing the Edge).</summary>
    public static string NodeWebSocketUrl(this CommEazyAppFixture cluster, string node)
    {
        var http = cluster.App.GetEndpoint(node, "http");
        return $"ws://{http.Host}:{http.Port}/xmpp-websocket";
    }

    /// <summary>The nodes on which a bare JID has bound resources, from the cluster's online records.</summary>
    public static async Task<IReadOnlyList<string>> OnlineAtAsync(this CommEazyAppFixture cluster, string bareJid)
    {
        await using var connection = new NpgsqlConnection(await cluster.App.GetConnectionStringAsync("prosody"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT DISTINCT node_id FROM commeazy_cluster_sessions WHERE bare_jid = @jid ORDER BY 1", connection);
        command.Parameters.AddWithValue("jid", bareJid);
        var nodes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            nodes.Add(reader.GetString(0));
        }
        return nodes;
    }

    /// <summary>Waits until exactly <paramref name="nodes"/> are live members by their heartbeats.</summary>
    public static async Task WaitForLiveMembersAsync(this CommEazyAppFixture cluster, IReadOnlyList<string> nodes, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(await cluster.App.GetConnectionStringAsync("prosody", cancellationToken));
        await connection.OpenAsync(cancellationToken);
        while (true)
        {
            await using var command = new NpgsqlCommand(
                "SELECT node_id FROM commeazy_cluster_members WHERE state = 'live' AND last_beat > now() - interval '4 seconds' ORDER BY 1", connection);
            var live = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    live.Add(reader.GetString(0));
                }
            }
            if (live.SequenceEqual(nodes.Order(StringComparer.Ordinal)))
            {
                // Every node acts on a change at its next beat (1 s): give them that.
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
                return;
            }
            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>Runs <c>prosodyctl shell</c> on a node (e.g. <c>commeazy selftest</c>) and returns its output.</summary>
    public static (int Exit, string Output) Shell(this CommEazyAppFixture cluster, string node, params string[] command)
    {
        var (exit, output, error) = DockerEnvironment.Run("docker",
            ["exec", "-u", "prosody", cluster.ContainerId(node), "prosodyctl", "shell", .. command], TimeSpan.FromSeconds(60));
        return (exit, output + error);
    }
}
