using Microsoft.Extensions.Diagnostics.HealthChecks;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;
using CommEazy.Edge.Routing;

namespace CommEazy.Edge.Health;

/// <summary>
/// Reports each Prosody node as the Edge's own health probes see it. Healthy while at least one node can take
/// clients; each node's state (<c>healthy</c>, <c>unhealthy</c>, <c>unknown</c> before the first probe) is in the data.
/// </summary>
internal sealed class ProsodyNodesHealthCheck(IProxyStateLookup proxyState) : IHealthCheck
{
    public const string Name = "prosody-nodes";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!proxyState.TryGetCluster(ProsodyProxyConfigProvider.ClusterId, out var cluster))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the Prosody cluster is not configured"));
        }
        var states = cluster.Destinations.Values
            .OrderBy(d => d.DestinationId, StringComparer.Ordinal)
            .ToDictionary(d => d.DestinationId, d => (object)Describe(d));
        var usable = cluster.DestinationsState.AvailableDestinations.Count;
        var summary = $"{usable} of {states.Count} Prosody nodes available";
        return Task.FromResult(usable > 0
            ? HealthCheckResult.Healthy(summary, states)
            : HealthCheckResult.Unhealthy(summary, data: states));
    }

    private static string Describe(DestinationState destination) =>
        (destination.Health.Active, destination.Health.Passive) switch
        {
            (DestinationHealth.Unhealthy, _) or (_, DestinationHealth.Unhealthy) => "unhealthy",
            (DestinationHealth.Healthy, _) => "healthy",
            _ => "unknown",
        };
}
