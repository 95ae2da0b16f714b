using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>What every Prosody node of the cluster shares: the XMPP domain, the key behind user keys, the admin secret and the URL apps reconnect to.</summary>
internal sealed record ProsodyClusterSettings(
    IResourceBuilder<ParameterResource> XmppDomain,
    IResourceBuilder<ParameterResource> RoutingKey,
    IResourceBuilder<ParameterResource> AdminSecret,
    string PublicWebSocketUrl);

/// <summary>Adds the Prosody XMPP nodes, built from <c>containers/prosody</c>, as one cluster (DESIGN.md §3).</summary>
internal static class ProsodyResourceExtensions
{
    /// <summary>Prosody's HTTP port inside the container: the WebSocket module, the metrics and the cluster admin endpoint.</summary>
    public const int HttpPort = 5280;
    public const string WebSocketPath = "/xmpp-websocket";
    public const int S2sPort = 5269;

    /// <summary>
    /// Adds <paramref name="count"/> Prosody nodes (<c>prosody-1</c> … <c>prosody-N</c>) serving one XMPP domain on the shared
    /// database. Each node's cluster host is its resource name, which is also its DNS name on the container network, so
    /// nodes reach each other's s2s port directly; their certificates come from a private CA made for this run, or from
    /// parameters in a published manifest.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ContainerResource>> AddProsodyNodes(
        this IDistributedApplicationBuilder builder, int count,
        IResourceBuilder<PostgresDatabaseResource> database, ProsodyClusterSettings cluster)
    {
        if (count is < 1 or > 16)
        {
            throw new DistributedApplicationException($"CommEazy:ProsodyNodes must be between 1 and 16 (was {count}).");
        }
        if (builder.ExecutionContext.IsPublishMode)
        {
            var caPem = builder.AddParameter("cluster-ca-certificate");
            return [.. Enumerable.Range(1, count).Select(i => builder.AddProsodyNode($"prosody-{i}", database, cluster)
                .WithEnvironment("PROSODY_CLUSTER_CA_PEM", caPem)
                .WithEnvironment("PROSODY_CLUSTER_CERT_PEM", builder.AddParameter($"prosody-{i}-cluster-certificate"))
                .WithEnvironment("PROSODY_CLUSTER_KEY_PEM", builder.AddParameter($"prosody-{i}-cluster-key", secret: true)))];
        }
        var certificates = new ClusterCertificates();
        return [.. Enumerable.Range(1, count).Select(i =>
        {
            var (certificatePem, keyPem) = certificates.Issue($"prosody-{i}");
            return builder.AddProsodyNode($"prosody-{i}", database, cluster)
                .WithEnvironment("PROSODY_CLUSTER_CA_PEM", certificates.CaPem)
                .WithEnvironment("PROSODY_CLUSTER_CERT_PEM", certificatePem)
                .WithEnvironment("PROSODY_CLUSTER_KEY_PEM", keyPem);
        })];
    }

    /// <summary>Adds one Prosody node: its config is generated at start from the domain, node id, database and cluster settings it is given.</summary>
    public static IResourceBuilder<ContainerResource> AddProsodyNode(
        this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresDatabaseResource> database, ProsodyClusterSettings cluster) =>
        builder.AddDockerfile(name, "../containers/prosody")
            .WithHttpEndpoint(targetPort: HttpPort, name: "http")
            // Node-to-node links (nodes reach each other by name on the container network); exposed only so that
            // operators and tests can probe it. Never a public endpoint.
            .WithEndpoint(targetPort: S2sPort, name: "s2s", scheme: "tcp")
            .WithEnvironment("PROSODY_NODE_ID", name)
            // info unless CommEazy:ProsodyLogLevel says otherwise (debug logs whole stanzas: development only).
            .WithEnvironment("PROSODY_LOG_LEVEL", builder.Configuration["CommEazy:ProsodyLogLevel"] ?? "info")
            .WithEnvironment("PROSODY_DOMAIN", cluster.XmppDomain)
            .WithEnvironment("PROSODY_ROUTING_KEY", cluster.RoutingKey)
            .WithEnvironment("PROSODY_CLUSTER_ADMIN_SECRET", cluster.AdminSecret)
            .WithEnvironment("PROSODY_PUBLIC_WEBSOCKET_URL", cluster.PublicWebSocketUrl)
            .WithReference(database)
            // Prosody creates its tables at start: it needs the database to exist first.
            .WaitFor(database)
            // A GET without upgrade on the WebSocket path is answered by mod_websocket itself: the node serves clients.
            .WithHttpHealthCheck(WebSocketPath, endpointName: "http");

    /// <summary>Gives the admin role to the bare JIDs in <paramref name="admins"/> (space-separated) on every node.</summary>
    public static IReadOnlyList<IResourceBuilder<ContainerResource>> WithAdmins(this IReadOnlyList<IResourceBuilder<ContainerResource>> nodes,
        IResourceBuilder<ParameterResource> admins)
    {
        foreach (var node in nodes)
        {
            node.WithEnvironment("PROSODY_ADMINS", admins);
        }
        return nodes;
    }
}
