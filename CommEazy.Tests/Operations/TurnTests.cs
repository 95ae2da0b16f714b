using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CommEazy.Tests.Operations;

/// <summary>
/// Calls through TURN: an app asks its Prosody node for services (XEP-0215, mod_turn_external) and gets TURN REST
/// credentials; Coturn's own client (turnutils_uclient, inside the coturn container) relays with them; wrong and expired
/// credentials and relays to denied peer ranges are refused; the exporter counts it all and Prometheus has it.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class TurnTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task AppGetsTurnCredentials_CoturnRelaysWithThem_AndRefusesBadOnes()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: an app asks its node for services.
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var session = await AppSignIn.SessionAsync(authBridge, "CallerUid" + Guid.NewGuid().ToString("N")[..8], "+15550000201");
        var result = await XmppScenario.RunAsync("turn.mjs", new { session }, TimeSpan.FromSeconds(60));
        var services = result["services"]!.AsArray().Select(s => s!.AsObject()).ToList();
        var turn = services.Single(s => (string?)s["type"] == "turn" && (string?)s["transport"] == "udp");
        var username = (string)turn["username"]!;
        var password = (string)turn["password"]!;

        // Assert: STUN and TURN over UDP and TCP at the published port; username = expiry in 24 h; password = TURN REST HMAC.
        Assert.Equal(["stun/tcp", "stun/udp", "turn/tcp", "turn/udp"], services.Select(s => $"{s["type"]}/{s["transport"]}").Order());
        Assert.All(services, s => Assert.Equal("localhost", (string?)s["host"]));
        Assert.All(services, s => Assert.Equal(cluster.TurnPort.ToString(CultureInfo.InvariantCulture), (string?)s["port"]));
        var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(username, CultureInfo.InvariantCulture));
        Assert.InRange(expiry - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
        Assert.True(password == RestPassword(TurnSecret(), username), "the TURN password is not base64(HMAC-SHA1(secret, username))");
        var before = await CoturnMetricsAsync();

        // Act + Assert: two clients of this Coturn relay to each other with the credentials the app got.
        var relayed = Uclient($"-y -n 5 -u {username} -w {password}");
        var totals = System.Text.RegularExpressions.Regex.Match(relayed, @"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)");
        Assert.True(totals.Success, "turnutils_uclient relayed nothing:\n" + relayed.Replace(password, "<password>", StringComparison.Ordinal));
        Assert.True(int.Parse(totals.Groups[1].Value, CultureInfo.InvariantCulture) >= 5 && int.Parse(totals.Groups[2].Value, CultureInfo.InvariantCulture) >= 1,
            "too little relayed: " + totals.Value);

        // A wrong password and an expired credential (correctly signed, expiry in the past) are refused.
        Assert.Contains("Cannot complete Allocation", Uclient($"-y -n 1 -u {username} -w {RestPassword("not-the-secret", username)}"));
        var expired = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        Assert.Contains("Cannot complete Allocation", Uclient($"-y -n 1 -u {expired} -w {RestPassword(TurnSecret(), expired)}"));

        // Relays to loopback and to the cluster's own private network (a Prosody node's address) are refused.
        Assert.Contains("403 (Forbidden IP)", Uclient($"-n 1 -e 127.0.0.1 -u {username} -w {password}"));
        Assert.Contains("403 (Forbidden IP)", Uclient($"-n 1 -e {ContainerAddress("prosody-1")} -u {username} -w {password}"));

        // The exporter counted the allocations, the refused credentials and the denied peers.
        var after = await CoturnMetricsAsync();
        Assert.True(after["coturn_allocations_total"] >= before["coturn_allocations_total"] + 4, Describe(before, after));
        Assert.True(after["coturn_auth_failures_total"] >= before["coturn_auth_failures_total"] + 2, Describe(before, after));
        Assert.True(after["coturn_peer_denied_total"] >= before["coturn_peer_denied_total"] + 2, Describe(before, after));
        using var prometheus = PrometheusApi.For(cluster);
        await prometheus.WaitForAsync("coturn_peer_denied_total", r => r.Count == 1 && r[0].Value >= after["coturn_peer_denied_total"], TimeSpan.FromSeconds(30));
    }

    /// <summary>Runs turnutils_uclient in the coturn container against its relay address; returns what it printed.</summary>
    private string Uclient(string arguments)
    {
        var (_, output, error) = DockerEnvironment.Run("docker",
            ["exec", cluster.ContainerId("coturn"), "sh", "-c", $"timeout 30 turnutils_uclient {arguments} \"$(hostname -i | cut -d' ' -f1)\""],
            TimeSpan.FromSeconds(45));
        return output + error;
    }

    private string ContainerAddress(string resource)
    {
        var (_, output, _) = DockerEnvironment.Run("docker",
            ["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", cluster.ContainerId(resource)], TimeSpan.FromSeconds(20));
        return output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
    }

    private async Task<Dictionary<string, double>> CoturnMetricsAsync()
    {
        using var http = new HttpClient { BaseAddress = cluster.App.GetEndpoint("coturn", "metrics") };
        var text = await http.GetStringAsync("/metrics");
        return text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#') && !l.Contains('{'))
            .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }

    private static string Describe(Dictionary<string, double> before, Dictionary<string, double> after) =>
        "coturn metrics before/after: " + string.Join(", ", after.Select(kv => $"{kv.Key} {before.GetValueOrDefault(kv.Key)}->{kv.Value}"));

    private string TurnSecret() => cluster.App.Services.GetRequiredService<IConfiguration>()["Parameters:turn-shared-secret"]
        ?? throw new InvalidOperationException("the test cluster has no turn-shared-secret");

    private static string RestPassword(string secret, string username) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username)));
}
