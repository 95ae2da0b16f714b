using System.Globalization;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Coturn (STUN/TURN for the apps' calls), built from <c>containers/coturn</c>, and the Prosody side of its shared secret.</summary>
internal static class CoturnResourceExtensions
{
    /// <summary>STUN/TURN inside the container, UDP and TCP.</summary>
    public const int TurnPort = 3478;
    /// <summary>The exporter's <c>/metrics</c> inside the container (coturn 4.6.1 has no Prometheus exporter of its own).</summary>
    public const int MetricsPort = 9641;

    /// <summary>
    /// Adds Coturn with TURN REST credentials (<paramref name="sharedSecret"/>, realm = the XMPP domain). TURN is published
    /// on <paramref name="publicPort"/> (UDP and TCP) unproxied, since apps talk to it directly; metrics stay internal.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddCoturn(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource> sharedSecret, IResourceBuilder<ParameterResource> realm, int publicPort) =>
        builder.AddDockerfile(name, "../containers/coturn")
            .WithEnvironment("TURN_SECRET", sharedSecret)
            .WithEnvironment("TURN_REALM", realm)
            .WithEndpoint(port: publicPort, targetPort: TurnPort, scheme: "turn", name: "turn", isProxied: false, isExternal: true, protocol: ProtocolType.Udp)
            .WithEndpoint(port: publicPort, targetPort: TurnPort, scheme: "turn", name: "turn-tcp", isProxied: false, isExternal: true, protocol: ProtocolType.Tcp)
            .WithHttpEndpoint(targetPort: MetricsPort, name: "metrics")
            .WithHttpHealthCheck("/metrics", endpointName: "metrics");

    /// <summary>
    /// Lets every Prosody node hand out TURN credentials for <paramref name="coturn"/> (XEP-0215, <c>mod_turn_external</c>,
    /// 24 h): the same shared secret, and the host and port apps are told to use.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ContainerResource>> WithTurnServer(this IReadOnlyList<IResourceBuilder<ContainerResource>> nodes,
        IResourceBuilder<ContainerResource> coturn, IResourceBuilder<ParameterResource> sharedSecret,
        IResourceBuilder<ParameterResource> publicHost, int publicPort)
    {
        foreach (var node in nodes)
        {
            node.WithEnvironment("PROSODY_TURN_SECRET", sharedSecret)
                .WithEnvironment("PROSODY_TURN_HOST", publicHost)
                .WithEnvironment("PROSODY_TURN_PORT", publicPort.ToString(CultureInfo.InvariantCulture))
                .WithReferenceRelationship(coturn);
        }
        return nodes;
    }
}
