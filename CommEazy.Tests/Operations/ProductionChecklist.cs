using System.Text;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CommEazy.Tests.Operations;

/// <summary>One line of the production checklist: its verdict and what was seen.</summary>
public sealed record ChecklistItem(string Item, string Verdict, string Detail)
{
    public const string Pass = "PASS";
    public const string Fail = "FAIL";
    public const string Manual = "MANUAL";
}

/// <summary>
/// The product's validation checklist, checked against a running cluster: each Prosody node's live behaviour and
/// effective configuration (prosodyctl shell), Coturn's rendered configuration, the Edge, PostgreSQL and Prometheus.
/// Items that need the outside world (Apple, Google, public DNS, the internet) are listed as manual, with the reason.
/// </summary>
internal sealed class ProductionChecklist(CommEazyAppFixture cluster)
{
    public async Task<IReadOnlyList<ChecklistItem>> RunAsync()
    {
        var items = new List<ChecklistItem>();
        var domain = cluster.App.Services.GetRequiredService<IConfiguration>()["Parameters:xmpp-domain"]!;
        var nodes = cluster.Nodes;
        foreach (var node in nodes)
        {
            items.AddRange(CheckNode(node, domain));
        }
        items.Add(CheckCoturn());
        items.Add(await CheckEdgeHidesMetricsAsync());
        items.AddRange(await CheckPrometheusAsync());
        items.AddRange(ManualItems);
        return items;
    }

    private IEnumerable<ChecklistItem> CheckNode(string node, string domain)
    {
        var container = cluster.ContainerId(node);
        string Shell(string command) => Exec(container, "prosodyctl", "shell", command);
        var modules = Shell($"module:list('{domain}')");
        bool Loaded(string module) => modules.Split('\n').Any(l => l.Trim() == module);
        string Config(string host, string key) => Shell($"config:get('{host}', '{key}')").Replace("OK:", "", StringComparison.Ordinal).Trim();

        var tls11 = Exec(container, "sh", "-c", $"timeout 10 openssl s_client -starttls xmpp -xmpphost {domain} -connect 127.0.0.1:5222 -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1");
        var tls12 = Exec(container, "sh", "-c", $"timeout 10 openssl s_client -starttls xmpp -xmpphost {domain} -connect 127.0.0.1:5222 -tls1_2 </dev/null 2>&1");
        yield return Verdict($"{node}: c2s TLS 1.2+ only", tls11.Contains("alert protocol version") && tls12.Contains("New, TLSv1.2"),
            "TLS 1.1 refused with a protocol-version alert, TLS 1.2 negotiated");

        var features = Exec(container, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/5222; printf \"<?xml version='1.0'?><stream:stream to='" + domain +
            "' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\" >&3; timeout 2 cat <&3 || true");
        yield return Verdict($"{node}: c2s encryption required", features.Contains("<required/></starttls>") && !features.Contains("<mechanisms")
            && Config(domain, "c2s_require_encryption") == "true", "before STARTTLS the stream offers only <starttls><required/>, no SASL");

        yield return Verdict($"{node}: in-band registration off", Config("*", "allow_registration") == "false" && !Loaded("register") && !Loaded("register_ibr"),
            "allow_registration = false, no register module loaded");
        yield return Verdict($"{node}: MAM and offline store off", !Loaded("mam") && !Loaded("offline"), "neither mod_mam nor mod_offline loaded: messages are not stored");
        yield return Verdict($"{node}: pushes carry no body or sender", Loaded("cloud_notify")
            && Config(domain, "push_notification_with_body") == "false" && Config(domain, "push_notification_with_sender") == "false",
            "push_notification_with_body = false, push_notification_with_sender = false");

        var readTimeout = Number(Config("*", "network_settings"), "read_timeout");
        var hibernation = Number(Config(domain, "smacks_hibernation_time"), "");
        var pushHibernation = Number(Config(domain, "push_max_hibernation_timeout"), "");
        yield return Verdict($"{node}: read_timeout and hibernation set", readTimeout is > 0 and <= 60 && hibernation is > 0 && readTimeout + hibernation <= 90
            && pushHibernation is > 0 && pushHibernation <= hibernation,
            $"read_timeout {readTimeout} s + hibernation {hibernation} s <= 90 s; push hibernation {pushHibernation} s");
        var admins = Config("*", "admins");
        yield return Verdict($"{node}: admins present", admins.Contains('@'), "admins = " + admins.ReplaceLineEndings(" "));
        yield return Verdict($"{node}: no federation", !Loaded("s2s") && !Loaded("dialback"), "no s2s or dialback on the user domain");
        var log = Config("*", "log");
        yield return Verdict($"{node}: logs never at debug (they would hold bodies)", log.Contains("info") && !log.Contains("debug"), "log = " + log.ReplaceLineEndings(" "));
    }

    private ChecklistItem CheckCoturn()
    {
        var conf = Exec(cluster.ContainerId("coturn"), "cat", "/etc/coturn/turnserver.conf");
        var ok = conf.Contains("use-auth-secret") && conf.Contains("no-multicast-peers") && conf.Contains("stale-nonce=600")
            && conf.Contains("denied-peer-ip=10.0.0.0-10.255.255.255") && conf.Contains("denied-peer-ip=192.168.0.0-192.168.255.255")
            && conf.Contains("user-quota=") && conf.Contains("total-quota=");
        return Verdict("coturn: TURN REST auth, no private or multicast peers, quotas", ok, "use-auth-secret, stale-nonce, denied-peer-ip for private ranges, quotas");
    }

    private async Task<ChecklistItem> CheckEdgeHidesMetricsAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{cluster.EdgePort}") };
        using var response = await http.GetAsync("/metrics");
        return Verdict("edge: internals not public", response.StatusCode == System.Net.HttpStatusCode.Forbidden,
            $"GET /metrics on the public port: {(int)response.StatusCode}");
    }

    private async Task<IEnumerable<ChecklistItem>> CheckPrometheusAsync()
    {
        using var prometheus = PrometheusApi.For(cluster);
        var rules = await prometheus.AlertRulesAsync();
        var replicas = await prometheus.QueryAsync("pg_replication_replicas_connected");
        var down = await prometheus.QueryAsync("up == 0");
        return
        [
            Verdict("prometheus: the product's alerts loaded", AlertRuleTests.ProductAlerts.All(rules.ContainsKey), $"{rules.Count} alert rules"),
            Verdict("prometheus: every target scraped", down.Count == 0, down.Count == 0 ? "no target down" : "down: " + string.Join(", ", down.Select(d => d.Labels["instance"]))),
            Verdict("postgres: streaming replica connected", replicas.Count == 1 && replicas[0].Value >= 1, $"{(replicas.Count == 1 ? replicas[0].Value : 0)} replica(s)"),
        ];
    }

    private static readonly ChecklistItem[] ManualItems =
    [
        new("APNs and FCM credentials are the production ones", ChecklistItem.Manual, "needs Apple's and Google's servers: send a push to a real device"),
        new("public DNS and certificates from a public CA", ChecklistItem.Manual, "needs public DNS: the domain, host-meta URL and Coturn's name resolve, certificates chain to a public CA"),
        new("Edge TLS 1.2+ at the public terminator", ChecklistItem.Manual, "TLS for apps ends outside this cluster (load balancer or Kestrel certificate): openssl s_client -tls1_1 against the public name must fail"),
        new("Coturn reachable from the internet", ChecklistItem.Manual, "needs the internet: external-ip set (TURN_EXTERNAL_IP), 3478 and the relay range open in the firewall"),
        new("backups taken and kept off-site", ChecklistItem.Manual, "a schedule outside this cluster: commeazy-backup daily, restores rehearsed (README Operations)"),
    ];

    private static ChecklistItem Verdict(string item, bool ok, string detail) => new(item, ok ? ChecklistItem.Pass : ChecklistItem.Fail, detail);

    private static int? Number(string text, string key)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text, (key.Length > 0 ? key + @"\s*=\s*" : "^") + @"(\d+)");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static string Exec(string container, params string[] command)
    {
        var (_, output, error) = DockerEnvironment.Run("docker", ["exec", "-u", command[0] == "prosodyctl" ? "prosody" : "root", container, .. command], TimeSpan.FromSeconds(60));
        return output + error;
    }

    /// <summary>The items as a table: item, verdict, detail.</summary>
    public static string Table(IReadOnlyList<ChecklistItem> items)
    {
        var width = items.Max(i => i.Item.Length);
        var text = new StringBuilder($"{"item".PadRight(width)}  verdict  detail\n{new string('-', width)}  -------  ------\n");
        foreach (var i in items)
        {
            text.Append($"{i.Item.PadRight(width)}  {i.Verdict,-7}  {i.Detail}\n");
        }
        return text.ToString();
    }
}
