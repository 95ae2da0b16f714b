using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>The cluster's real Prometheus, through its HTTP API.</summary>
internal sealed class PrometheusApi(HttpClient http) : IDisposable
{
    public static PrometheusApi For(CommEazyAppFixture cluster) => new(cluster.App.CreateHttpClient("prometheus", "http"));

    /// <summary>The result vector of an instant query: each sample's labels and value.</summary>
    public async Task<IReadOnlyList<(JsonObject Labels, double Value)>> QueryAsync(string expression)
    {
        var data = await GetDataAsync($"/api/v1/query?query={Uri.EscapeDataString(expression)}");
        return [.. data["result"]!.AsArray().Select(r => (r!["metric"]!.AsObject(), double.Parse((string)r["value"]![1]!, System.Globalization.CultureInfo.InvariantCulture)))];
    }

    /// <summary>Every metric name Prometheus holds a series of.</summary>
    public async Task<IReadOnlySet<string>> MetricNamesAsync()
    {
        var data = await GetDataAsync("/api/v1/label/__name__/values");
        return data.AsArray().Select(n => (string)n!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The active scrape targets: job, instance and health ("up", "down", "unknown").</summary>
    public async Task<IReadOnlyList<(string Job, string Instance, string Health, string Error)>> TargetsAsync()
    {
        var data = await GetDataAsync("/api/v1/targets?state=active");
        return [.. data["activeTargets"]!.AsArray().Select(t => ((string)t!["labels"]!["job"]!, (string)t["labels"]!["instance"]!, (string)t["health"]!, (string?)t["lastError"] ?? ""))];
    }

    /// <summary>The loaded alerting rules by name, with their state ("inactive", "pending", "firing").</summary>
    public async Task<IReadOnlyDictionary<string, string>> AlertRulesAsync()
    {
        var data = await GetDataAsync("/api/v1/rules?type=alert");
        return data["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray())
            .ToDictionary(r => (string)r!["name"]!, r => (string)r!["state"]!);
    }

    /// <summary>Polls <paramref name="expression"/> until <paramref name="until"/> holds for its result, or fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<(JsonObject Labels, double Value)>> WaitForAsync(string expression,
        Func<IReadOnlyList<(JsonObject Labels, double Value)>, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var result = await QueryAsync(expression);
            if (until(result))
            {
                return result;
            }
            Assert.True(DateTime.UtcNow < deadline,
                $"Prometheus: {expression} did not reach the expected value within {timeout}; last result: " +
                string.Join(", ", result.Select(r => $"{r.Labels.ToJsonString()}={r.Value}")));
            await Task.Delay(1000, TestContext.Current.CancellationToken);
        }
    }

    private async Task<JsonNode> GetDataAsync(string path)
    {
        var body = await http.GetFromJsonAsync<JsonObject>(path);
        Assert.True((string?)body!["status"] == "success", $"Prometheus {path}: {body.ToJsonString()}");
        return body["data"]!;
    }

    public void Dispose() => http.Dispose();
}
