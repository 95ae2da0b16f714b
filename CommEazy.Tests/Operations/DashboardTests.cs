using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using CommEazy.PushGateway;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>
/// Every panel of every Grafana dashboard (containers/grafana/dashboards) is a query the live Prometheus accepts, and
/// every metric it names exists there. The PushGateway sends no push in this cluster yet (its Prosody link is
/// another issue), so its counters have no series: those names are checked against the instruments it declares.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed partial class DashboardTests(CommEazyAppFixture cluster)
{
    public static readonly string[] Dashboards =
        ["prosody-overview", "presence-health", "websocket-health", "postgresql", "coturn", "edge", "push"];

    [Fact]
    public void TheSixProductDashboardsAndPush_AreProvisioned()
    {
        var files = Directory.GetFiles(Path.Combine(RepositoryRoot(), "containers", "grafana", "dashboards"), "*.json")
            .Select(Path.GetFileNameWithoutExtension).Order().ToArray();

        Assert.Equal(Dashboards.Order(), files);
        foreach (var name in Dashboards)
        {
            var board = Load(name);
            Assert.Equal("commeazy-" + name, (string?)board["uid"]);
            Assert.All(Targets(board), t => Assert.Equal("prometheus", (string?)t.Panel["datasource"]!["uid"]));
        }
    }

    [Fact]
    public async Task EveryPanelQuery_NamesMetricsThatExistInPrometheus()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: what an hour of use produces: sign-ins, a chat through the Edge (WebSockets opened and closed).
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var alice = await AppSignIn.SessionAsync(authBridge, "BoardAUid" + Guid.NewGuid().ToString("N")[..8], "+15550000301");
        var bob = await AppSignIn.SessionAsync(authBridge, "BoardBUid" + Guid.NewGuid().ToString("N")[..8], "+15550000302");
        await XmppScenario.RunAsync("chat.mjs", new { alice, bob, body = "dashboard traffic" }, TimeSpan.FromSeconds(90));
        using var prometheus = PrometheusApi.For(cluster);
        // Every scrape target has been read since (2 s interval in tests).
        await prometheus.WaitForAsync("count(up == 1)", r => r.Count == 1 && r[0].Value >= 7, TimeSpan.FromSeconds(60));
        await prometheus.WaitForAsync("sum(commeazy_auth_sessions_total)", r => r.Count == 1 && r[0].Value >= 2, TimeSpan.FromSeconds(30));
        await prometheus.WaitForAsync("kestrel_connection_duration_seconds_count{job=\"edge\"}", r => r.Count > 0, TimeSpan.FromSeconds(30));
        var live = await prometheus.MetricNamesAsync();
        var declaredPush = DeclaredPushGatewayNames();
        var problems = new List<string>();
        var checkedNames = 0;

        foreach (var name in Dashboards)
        {
            foreach (var (panel, expression) in Targets(Load(name)))
            {
                // Prometheus parses it (a bad query is a 400 with the parser's error).
                try
                {
                    await prometheus.QueryAsync(expression);
                }
                catch (Exception e) when (e is HttpRequestException or Xunit.Sdk.XunitException)
                {
                    problems.Add($"{name} / {panel["title"]}: Prometheus refuses {expression}: {e.Message}");
                }
                foreach (var metric in MetricNames(expression))
                {
                    checkedNames++;
                    if (!live.Contains(metric) && !declaredPush.Contains(metric))
                    {
                        problems.Add($"{name} / {panel["title"]}: no series named {metric} in Prometheus ({expression})");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(checkedNames > 40, $"only {checkedNames} metric names found in the dashboards: is the extraction broken?");
    }

    [Theory]
    [InlineData("sum by (instance) (rate(foo_total{job=\"a\",x=~\"5..\"}[5m])) / bar", new[] { "foo_total", "bar" })]
    [InlineData("histogram_quantile(0.9, sum by (le, instance) (rate(h_bucket[5m])))", new[] { "h_bucket" })]
    [InlineData("(a - time()) / 86400 > 2 and ignoring (node_state) b{node_state=\"x\"}", new[] { "a", "b" })]
    [InlineData("up{job=~\"edge|authbridge\"}", new[] { "up" })]
    public void MetricNames_FindsEveryMetricAndNothingElse(string expression, string[] expected) =>
        Assert.Equal(expected, MetricNames(expression));

    /// <summary>The metric names in a PromQL expression: identifiers that are not functions, keywords, label names or strings.</summary>
    internal static string[] MetricNames(string expression)
    {
        var text = QuotedString().Replace(expression, "\"\"");
        text = LabelMatchers().Replace(text, " ");
        text = RangeOrOffset().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return [.. Identifier().Matches(text).Select(m => m.Groups[1].Value)
            .Where(n => !Keywords.Contains(n)).Distinct()];
    }

    private static readonly HashSet<string> Keywords = ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"];

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex QuotedString();
    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();
    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeOrOffset();
    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();
    // An identifier not followed by "(" (a function call) and not part of a number.
    [GeneratedRegex(@"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()")]
    private static partial Regex Identifier();

    /// <summary>The Prometheus names of the PushGateway's instruments (OpenTelemetry exporter: dots to underscores, unit, _total).</summary>
    private static HashSet<string> DeclaredPushGatewayNames()
    {
        static string Prom(string instrument) => instrument.Replace('.', '_');
        var duration = Prom(PushGatewayMetrics.ProviderDurationInstrument) + "_seconds";
        return
        [
            Prom(PushGatewayMetrics.NotificationsInstrument) + "_total",
            Prom(PushGatewayMetrics.ApnsJwtMintedInstrument) + "_total",
            Prom(PushGatewayMetrics.FcmAccessTokensInstrument) + "_total",
            duration + "_bucket", duration + "_count", duration + "_sum",
        ];
    }

    private static IEnumerable<(JsonObject Panel, string Expression)> Targets(JsonObject board) =>
        board["panels"]!.AsArray().Select(p => p!.AsObject())
            .SelectMany(p => p["targets"]!.AsArray().Select(t => (p, (string)t!["expr"]!)));

    private static JsonObject Load(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "containers", "grafana", "dashboards", name + ".json")))!.AsObject();

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CommEazy.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("CommEazy.sln not found above " + AppContext.BaseDirectory);
    }
}
