using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Adds Prosody XMPP nodes built from <c>containers/prosody</c> to the distributed application.</summary>
internal static class ProsodyResourceExtensions
{
    /// <summary>Prosody's HTTP port inside the container: the WebSocket module and the metrics endpoint.</summary>
    public const int HttpPort = 5280;
    public const string WebSocketPath = "/xmpp-websocket";

    /// <summary>Adds <paramref name="count"/> Prosody nodes (<c>prosody-1</c> … <c>prosody-N</c>) serving one XMPP domain on the shared database.</summary>
    public static IReadOnlyList<IResourceBuilder<ContainerResource>> AddProsodyNodes(
        this IDistributedApplicationBuilder builder, int count,
        IResourceBuilder<PostgresDatabaseResource> database, IResourceBuilder<ParameterResource> xmppDomain)
    {
        if (count is < 1 or > 16)
        {
            throw new DistributedApplicationException($"CommEazy:ProsodyNodes must be between 1 and 16 (was {count}).");
        }
        return [.. Enumerable.Range(1, count).Select(i => builder.AddProsodyNode($"prosody-{i}", database, xmppDomain))];
    }

    /// <summary>Adds one Prosody node: its config is generated at start from the domain, node id and database it is given.</summary>
    public static IResourceBuilder<ContainerResource> AddProsodyNode(
        this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresDatabaseResource> database, IResourceBuilder<ParameterResource> xmppDomain) =>
        builder.AddDockerfile(name, "../containers/prosody")
            .WithHttpEndpoint(targetPort: HttpPort, name: "http")
            .WithEnvironment("PROSODY_NODE_ID", name)
            .WithEnvironment("PROSODY_DOMAIN", xmppDomain)
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
