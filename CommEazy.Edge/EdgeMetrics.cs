using System.Diagnostics;
using System.Diagnostics.Metrics;
using CommEazy.Edge.Routing;
using Yarp.ReverseProxy;

namespace CommEazy.Edge;

/// <summary>
/// The Edge's meter and activity source, <c>CommEazy.Edge</c>: how many Prosody nodes it has and how many its health
/// probes find usable (read from YARP's own state at each collection; the "fewer than 2 healthy nodes" alert reads
/// it), and what happens to connections: upgrades by outcome, admission, open connections per node, bytes relayed,
/// how connections end (dead clients among them). Labels are node ids and fixed words, never a user.
/// </summary>
internal sealed class EdgeMetrics
{
    public const string Name = "CommEazy.Edge";
    public const string ProsodyNodesInstrument = "commeazy.edge.prosody.nodes";
    public const string StateAttribute = "node.state";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _upgrades;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _admission;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _closes;
    private readonly Counter<long> _bytes;

    public EdgeMetrics(IMeterFactory meterFactory, IProxyStateLookup proxyState)
    {
        var meter = meterFactory.Create(Name);
        meter.CreateObservableGauge(ProsodyNodesInstrument, () => Observe(proxyState), "{node}",
            "Prosody nodes behind the Edge: configured, and available (passing the Edge's health probes).");
        _upgrades = meter.CreateCounter<long>("commeazy.edge.upgrades", "{upgrade}",
            "WebSocket upgrades by node and outcome (relayed, refused, node-unreachable, client-gone)");
        _refusals = meter.CreateCounter<long>("commeazy.edge.refusals", "{request}",
            "Public requests refused before any node was chosen, by reason (not-public-path 403, not-xmpp-websocket 400, too-many-connections 429, no-node 503)");
        _admission = meter.CreateCounter<long>("commeazy.edge.admission", "{connection}",
            "Admission of new connections per node: admitted (at once or after waiting), queued (had to wait), refused (503)");
        _connections = meter.CreateUpDownCounter<long>("commeazy.edge.connections", "{connection}", "Open relayed connections per node");
        _closes = meter.CreateCounter<long>("commeazy.edge.connection.ends", "{connection}",
            "How relayed connections ended, by node (client-closed, node-closed, client-vanished: a dead client, node-lost, too-big)");
        _bytes = meter.CreateCounter<long>("commeazy.edge.bytes", "By", "WebSocket payload bytes relayed, in (from apps) and out (to apps)");
    }

    private static KeyValuePair<string, object?> Node(string nodeId) => new("server.address", nodeId);

    public void Upgrade(string nodeId, string outcome) => _upgrades.Add(1, Node(nodeId), new("outcome", outcome));

    /// <summary>A public request refused before routing; <paramref name="reason"/> is one of the fixed words in the counter's description.</summary>
    public void Refused(string reason) => _refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Admission(string nodeId, string outcome) => _admission.Add(1, Node(nodeId), new("outcome", outcome));

    public void ConnectionOpened(string nodeId) => _connections.Add(1, Node(nodeId));

    public void ConnectionEnded(string nodeId) => _connections.Add(-1, Node(nodeId));

    public void ConnectionClosed(string nodeId, string ending) => _closes.Add(1, Node(nodeId), new("ending", ending));

    public void Relayed(string direction, int bytes) => _bytes.Add(bytes, new KeyValuePair<string, object?>("direction", direction));

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
