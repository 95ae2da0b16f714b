using System.Globalization;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>The Edge's <c>commeazy.edge.refusals</c> counter, read from its internal <c>/metrics</c> as Prometheus would.</summary>
internal static partial class EdgeRefusals
{
    /// <summary>How many public requests the Edge has refused for <paramref name="reason"/> so far (0 before the first).</summary>
    public static async Task<double> CountAsync(CommEazyAppFixture cluster, string reason)
    {
        using var edge = cluster.App.CreateHttpClient("edge", "internal");
        var text = await edge.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return RefusalsCounter().Matches(text).Where(m => m.Groups["reason"].Value == reason)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Waits (up to 10 s: the exporter caches a scrape briefly) until the count for <paramref name="reason"/> exceeds <paramref name="before"/>.</summary>
    public static async Task<double> RisenAboveAsync(CommEazyAppFixture cluster, string reason, double before)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        double now;
        while ((now = await CountAsync(cluster, reason)) <= before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        return now;
    }

    [GeneratedRegex("""^commeazy_edge_refusals[a-z_]*_total\{[^}]*reason="(?<reason>[^"]+)"[^}]*\} (?<value>[0-9.eE+]+)""", RegexOptions.Multiline)]
    private static partial Regex RefusalsCounter();
}
