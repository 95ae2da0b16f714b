using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CommEazy.PushGateway.Component;

/// <summary>The gateway's links, one per Prosody node in <see cref="ComponentOptions.Nodes"/>, run for the life of the service.</summary>
internal sealed class ComponentLinks : BackgroundService
{
    public ComponentLinks(IOptions<ComponentOptions> options, PublishHandler handler, PushGatewayMetrics metrics, TimeProvider time, ILogger<ComponentLink> logger)
    {
        var o = options.Value;
        Links = [.. o.Nodes.Select(node => new ComponentLink(node, o, handler, metrics, time, logger))];
        metrics.ObserveLinks(() => Links.Select(l => (l.NodeId, l.Status.State == LinkState.Connected)));
    }

    public IReadOnlyList<ComponentLink> Links { get; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Links.Select(link => Task.Run(() => link.RunAsync(stoppingToken), CancellationToken.None)));
}

/// <summary>
/// Health is the state of the links: healthy when every node is linked, degraded when some are (pushes for users
/// homed on the others wait), unhealthy when none is. The data lists each node's state and last failure.
/// </summary>
internal sealed class ComponentLinksHealthCheck(ComponentLinks links) : IHealthCheck
{
    public const string Name = "prosody-links";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var statuses = links.Links.Select(l => (l.NodeId, l.Status)).ToList();
        var data = statuses.ToDictionary(
            s => s.NodeId,
            s => (object)(s.Status.LastError is { } error && s.Status.State != LinkState.Connected
                ? $"{s.Status.State.ToString().ToLowerInvariant()} since {s.Status.Since:O}: {error}"
                : $"{s.Status.State.ToString().ToLowerInvariant()} since {s.Status.Since:O}"));
        var connected = statuses.Count(s => s.Status.State == LinkState.Connected);
        var summary = $"{connected} of {statuses.Count} Prosody nodes linked over XEP-0114";
        var result = connected == statuses.Count ? HealthCheckResult.Healthy(summary, data)
            : connected > 0 ? HealthCheckResult.Degraded(summary, data: data)
            : HealthCheckResult.Unhealthy(summary, data: data);
        return Task.FromResult(result);
    }
}
