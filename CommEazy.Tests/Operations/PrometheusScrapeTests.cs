using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>Prometheus scrapes every Prosody node, every service, PostgreSQL, Coturn and itself, and has loaded the alert rules.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class PrometheusScrapeTests(CommEazyAppFixture cluster)
{
    [Fact]
    public async Task EveryTarget_IsScrapedAndUp()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var prometheus = PrometheusApi.For(cluster);
        // Every Prosody node the AppHost made (CommEazy:ProsodyNodes), and each of the other scraped resources once.
        var expected = cluster.Nodes.Select(n => ("prosody", n)).Concat([("prometheus", "prometheus"), ("edge", "edge"), ("authbridge", "authbridge"),
            ("pushgateway", "pushgateway"), ("postgres", "postgres-exporter"), ("coturn", "coturn")]).ToArray();
        Assert.Contains(("prosody", "prosody-1"), expected);

        // Act: wait until each target has been scraped at least once (2 s interval in tests).
        IReadOnlyList<(string Job, string Instance, string Health, string Error)> targets = [];
        for (var i = 0; i < 60; i++)
        {
            targets = await prometheus.TargetsAsync();
            if (expected.All(e => targets.Any(t => (t.Job, t.Instance) == e && t.Health == "up")))
            {
                break;
            }
            await Task.Delay(1000, TestContext.Current.CancellationToken);
        }

        // Assert
        foreach (var (job, instance) in expected)
        {
            var target = targets.SingleOrDefault(t => t.Job == job && t.Instance == instance);
            Assert.True(target.Health == "up", $"{job}/{instance}: {target.Health ?? "not a target"} {target.Error}");
        }
        var up = await prometheus.QueryAsync("up == 1");
        Assert.Equal(expected.Length, up.Count);
    }

    [Fact]
    public async Task AlertRules_AreLoaded()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        using var prometheus = PrometheusApi.For(cluster);

        var rules = await prometheus.AlertRulesAsync();

        foreach (var name in AlertRuleTests.ProductAlerts)
        {
            Assert.True(rules.ContainsKey(name), $"alert {name} is not loaded; loaded: {string.Join(", ", rules.Keys)}");
        }
    }
}
