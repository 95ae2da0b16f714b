using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CommEazy.Push;
using CommEazy.Tests.Fixtures;
using Npgsql;

namespace CommEazy.Tests.PushGateway;

/// <summary>What the AuthBridge answers a push registration: the XEP-0357 node and secret, and the app server's JID.</summary>
public sealed record PushRegistrationAnswer(string Node, string Secret, string Jid);

/// <summary>A signed-in app user of the running cluster: its session and the Firebase ID token it holds.</summary>
public sealed record ClusterUser(string Name, AppSession Session, string IdToken)
{
    public string BareJid => Session.Jid;
}

/// <summary>What the push tests do against the running cluster: sign users in, register devices, look at the database and the gateway.</summary>
internal sealed class PushCluster(CommEazyAppFixture cluster) : IDisposable
{
    private readonly HttpClient _authBridge = cluster.App.CreateHttpClient("authbridge", "http");

    public CommEazyAppFixture Fixture => cluster;

    /// <summary>
    /// A fresh user; with <paramref name="awayFrom"/>, one whose home is another node than that user's, so that what
    /// passes between them is forwarded across the cluster (the path real pairs of users mostly take).
    /// </summary>
    public async Task<ClusterUser> UserAsync(string name, ClusterUser? awayFrom = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var uid = name + Guid.NewGuid().ToString("N")[..10];
            var idToken = await AppSignIn.DevTokenAsync(_authBridge, uid, "+1555" + Random.Shared.Next(1_000_000, 9_999_999));
            using var response = await AppSignIn.PostSessionAsync(_authBridge, idToken);
            response.EnsureSuccessStatusCode();
            var user = new ClusterUser(name, (await response.Content.ReadFromJsonAsync<AppSession>())!, idToken);
            if (awayFrom is null || cluster.Nodes.Count < 2 || HomeOf(user) != HomeOf(awayFrom) || attempt == 63)
            {
                return user;
            }
        }
    }

    private string? HomeOf(ClusterUser user) => CommEazy.Cluster.HomeNode.Home(ClusterUsers.UserKeyOf(user.Session), cluster.Nodes);

    /// <summary>POST /v1/push/registrations as <paramref name="user"/>.</summary>
    public async Task<HttpResponseMessage> PostRegistrationAsync(ClusterUser user, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/push/registrations") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.IdToken);
        return await _authBridge.SendAsync(request);
    }

    public async Task<PushRegistrationAnswer> RegisterAsync(ClusterUser user, string platform, string token, string environment = "production")
    {
        using var response = await PostRegistrationAsync(user, new { platform, token, appId = PushFakes.BundleId, environment });
        Assert.True(response.IsSuccessStatusCode, $"registration failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<PushRegistrationAnswer>())!;
    }

    public async Task<HttpResponseMessage> SendAsAsync(ClusterUser user, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.IdToken);
        return await _authBridge.SendAsync(request);
    }

    /// <summary>Signs the user in with the driver (through a cuttable relay when <paramref name="relay"/>).</summary>
    public static Task SignInAsync(XmppDriver driver, ClusterUser user, bool relay = false) =>
        driver.CallAsync("signIn", new { name = user.Name, session = user.Session, relay });

    /// <summary>Signs the user in with the driver and enables push for each registration, as the app does.</summary>
    public static async Task SignInWithPushAsync(XmppDriver driver, ClusterUser user, bool relay = false, params PushRegistrationAnswer[] registrations)
    {
        await SignInAsync(driver, user, relay);
        foreach (var registration in registrations)
        {
            await driver.CallAsync("enablePush", new { name = user.Name, jid = registration.Jid, node = registration.Node, secret = registration.Secret });
        }
    }

    /// <summary>The app enables push on a session, then signs out cleanly: the user is offline with push enabled.</summary>
    public static async Task GoOfflineWithPushAsync(XmppDriver driver, ClusterUser user, params PushRegistrationAnswer[] registrations)
    {
        await SignInWithPushAsync(driver, user, registrations: registrations);
        await driver.CallAsync("stop", new { name = user.Name });
    }

    /// <summary>Waits for the first push in <paramref name="pushes"/>, then a quiet while, and returns it: it must stay the only one.</summary>
    public static async Task<T> SinglePushAsync<T>(Func<IReadOnlyList<T>> pushes, string what)
    {
        Assert.True(await EventuallyAsync(() => pushes().Count > 0, TimeSpan.FromSeconds(15)), $"no push: {what}");
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        return Assert.Single(pushes());
    }

    /// <summary>The registrations table's rows for an owner, as (node, platform, token, secret hash).</summary>
    public async Task<List<(string Node, string Platform, string Token, byte[] SecretHash)>> RowsAsync(string owner)
    {
        await using var connection = new NpgsqlConnection(await cluster.App.GetConnectionStringAsync("prosody"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT node, platform, token, secret_sha256 FROM {PushRegistrationTable.Name} WHERE owner = $1 ORDER BY created_at", connection)
        {
            Parameters = { new() { Value = owner } },
        };
        var rows = new List<(string, string, string, byte[])>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), (byte[])reader[3]));
        }
        return rows;
    }

    /// <summary>The sum of the gateway's <c>commeazy.push.publishes</c> counter for one reply and reason (Prometheus scrape).</summary>
    public async Task<double> PublishesAsync(string reply, string reason)
    {
        using var gateway = cluster.App.CreateHttpClient("pushgateway", "internal");
        var text = await gateway.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith("commeazy_push_publishes_total{", StringComparison.Ordinal)
                && l.Contains($"push_reply=\"{reply}\"", StringComparison.Ordinal) && l.Contains($"push_reason=\"{reason}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Stops a resource with Aspire's own command (as the dashboard's stop button does) and waits until it has exited.</summary>
    public async Task StopResourceAsync(string name)
    {
        var result = await cluster.App.ResourceCommands.ExecuteCommandAsync(name, KnownResourceCommands.StopCommand, TestContext.Current.CancellationToken);
        Assert.True(result.Success, $"stopping {name} failed: {result.Message}");
        await cluster.App.ResourceNotifications.WaitForResourceAsync(name,
                e => e.Snapshot.State?.Text is "Exited" or "Finished" or "FailedToStart", TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    /// <summary>Starts a stopped resource again and waits until it is healthy.</summary>
    public async Task StartResourceAsync(string name)
    {
        var result = await cluster.App.ResourceCommands.ExecuteCommandAsync(name, KnownResourceCommands.StartCommand, CancellationToken.None);
        Assert.True(result.Success, $"starting {name} failed: {result.Message}");
        await cluster.App.ResourceNotifications.WaitForResourceHealthyAsync(name, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2), CancellationToken.None);
    }

    /// <summary>The gateway's health report.</summary>
    public async Task<JsonNode> GatewayHealthAsync()
    {
        using var gateway = cluster.App.CreateHttpClient("pushgateway", "internal");
        using var response = await gateway.GetAsync("/health");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Lines the Prosody nodes logged after <paramref name="since"/>.</summary>
    public IEnumerable<string> ProsodyLogSince(DateTimeOffset since) => cluster.Logs.GetSnapshot()
        .Where(r => r.Timestamp >= since && r.Category?.StartsWith("CommEazy.AppHost.Resources.prosody-", StringComparison.Ordinal) == true)
        .Select(r => r.Message);

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(25);
        }
        return true;
    }

    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(100);
        }
        return true;
    }

    public static DateTimeOffset SentAt(JsonObject answer) => DateTimeOffset.FromUnixTimeMilliseconds((long)answer["sentAt"]!);

    public void Dispose() => _authBridge.Dispose();
}
