using System.Diagnostics.Metrics;
using CommEazy.Edge.Routing;
using Yarp.ReverseProxy;

namespace CommEazy.Edge;

/// <summary>
/// The Edge's meter, <c>CommEazy.Edge</c>: how many Prosody nodes it has and how many its health probes find
/// usable, read from YARP's own state at each collection (the "fewer than 2 healthy nodes" alert reads it).
/// </summary>
internal sealed class EdgeMetrics
{
    public const string Name = "CommEazy.Edge";
    public const string ProsodyNodesInstrument = "commeazy.edge.prosody.nodes";
    public const string StateAttribute = "node.state";

    public EdgeMetrics(IMeterFactory meterFactory, IProxyStateLookup proxyState)
    {
        var meter = meterFactory.Create(Name);
        meter.CreateObservableGauge(ProsodyNodesInstrument, () => Observe(proxyState), "{node}",
            "Prosody nodes behind the Edge: configured, and available (passing the Edge's health probes).");
    }

    private static IEnumerable<Measurement<int>> Observe(IProxyStateLookup proxyState)
    {
        if (!proxyState.TryGetCluster(ProsodyProxyConfigProvider.ClusterId, out var cluster))
        {
            return [];
        }
        return
        [
            new(cluster.Destinations.Count, new KeyValuePair<string, object?>(StateAttribute, "configured")),
            new(cluster.DestinationsState.AvailableDestinations.Count, new KeyValuePair<string, object?>(StateAttribute, "available")),
        ];
    }
}
