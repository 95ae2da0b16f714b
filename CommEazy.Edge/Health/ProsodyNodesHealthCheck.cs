using Microsoft.Extensions.Diagnostics.HealthChecks;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;
using CommEazy.Edge.Routing;

namespace CommEazy.Edge.Health;

/// <summary>
/// Reports each Prosody node as the Edge sees it: whether its health probes reach it (<c>healthy</c>, <c>unhealthy</c>,
/// <c>unknown</c> before the first probe) and its membership state from the heartbeats (<c>live</c>, <c>draining</c>,
/// <c>stale</c>, <c>unknown</c>), e.g. <c>"prosody-2": "healthy, draining"</c>. Healthy while at least one live node can
/// take clients.
/// </summary>
internal sealed class ProsodyNodesHealthCheck(IProxyStateLookup proxyState, CommEazy.Edge.Cluster.IClusterMembership membership) : IHealthCheck
{
    public const string Name = "prosody-nodes";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!proxyState.TryGetCluster(ProsodyProxyConfigProvider.ClusterId, out var cluster))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the Prosody cluster is not configured"));
        }
        var view = membership.Current;
        var states = cluster.Destinations.Values
            .OrderBy(d => d.DestinationId, StringComparer.Ordinal)
            .ToDictionary(d => d.DestinationId, d => (object)$"{Describe(d)}, {Member(view, d.DestinationId)}");
        var usable = cluster.DestinationsState.AvailableDestinations.Count(d => !view.IsKnown || view.IsLive(d.DestinationId));
        var summary = $"{usable} of {states.Count} Prosody nodes available (reachable and live)";
        return Task.FromResult(usable > 0
            ? HealthCheckResult.Healthy(summary, states)
            : HealthCheckResult.Unhealthy(summary, data: states));
    }

    private static string Member(CommEazy.Edge.Cluster.MembershipView view, string nodeId) =>
        !view.IsKnown ? "unknown" : view.Nodes.TryGetValue(nodeId, out var state) ? state.ToString().ToLowerInvariant() : "not a member";

    private static string Describe(DestinationState destination) =>
        (destination.Health.Active, destination.Health.Passive) switch
        {
            (DestinationHealth.Unhealthy, _) or (_, DestinationHealth.Unhealthy) => "unhealthy",
            (DestinationHealth.Healthy, _) => "healthy",
            _ => "unknown",
        };
}
