using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using CommEazy.Edge.Health;
using CommEazy.Edge.LoadBalancing;

namespace CommEazy.Edge.Routing;

/// <summary>
/// The Edge's one route and one cluster: <c>/xmpp-websocket</c> to the Prosody nodes, HTTP/1.1 only
/// (Prosody's WebSocket module routes GET upgrades, never HTTP/2 extended CONNECT), picked by our own policy.
/// </summary>
internal sealed class ProsodyProxyConfigProvider(IOptions<EdgeOptions> options) : IProxyConfigProvider
{
    public const string ClusterId = "prosody";
    public const string RouteId = "xmpp-websocket";
    public const string WebSocketPath = "/xmpp-websocket";

    private readonly IProxyConfig _config = Build(options.Value);

    public IProxyConfig GetConfig() => _config;

    private static Snapshot Build(EdgeOptions edge)
    {
        var route = new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = WebSocketPath },
        };
        var cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = LoadBalancingPolicyNames.ConsistentHash,
            Destinations = edge.Nodes.ToDictionary(n => n.Id, n => new DestinationConfig { Address = n.Address }),
            HttpRequest = new ForwarderRequestConfig
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                ActivityTimeout = edge.IdleTimeout,
            },
            HealthCheck = new HealthCheckConfig
            {
                // A node that is out stays out even when it is the last one (YARP's default, HealthyOrPanic, would then
                // send clients to every node): with no node left the client gets 503 + Retry-After at once.
                AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
                // HAProxy's "check inter 5s fall 3 rise 2": a GET without upgrade makes mod_websocket answer 200.
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(5),
                    Timeout = TimeSpan.FromSeconds(3),
                    Path = WebSocketPath,
                    Policy = HealthCheckPolicyNames.FallRise,
                },
                // With Edge:Relay=false (YARP forwards), a failed connection to a node takes it out at once, until the
                // active checks bring it back. The relay does not feed this: its failed connects answer 502 and the
                // client retries, while the membership (TTL 4 s) and the active checks take the node out.
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = HealthCheckConstants.PassivePolicy.TransportFailureRate,
                    ReactivationPeriod = TimeSpan.FromSeconds(10),
                },
            },
        };
        return new Snapshot([route], [cluster]);
    }

    /// <summary>The Prosody node list is fixed for the life of the process, so the change token never fires.</summary>
    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes { get; } = routes;
        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;
        public IChangeToken ChangeToken { get; } = new CancellationChangeToken(CancellationToken.None);
    }
}
