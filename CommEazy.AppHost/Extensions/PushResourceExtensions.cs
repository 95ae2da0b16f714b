using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

/// <summary>Wiring of the push path: the XEP-0114 component on every Prosody node and the PushGateway's links and providers.</summary>
internal static class PushResourceExtensions
{
    /// <summary>Prosody's XEP-0114 component port inside the container (<c>component_ports</c>).</summary>
    public const int ComponentPort = 5347;

    /// <summary>
    /// Declares the push gateway as the same XEP-0114 component (<paramref name="jid"/>, authenticated by
    /// <paramref name="secret"/>) on every node and exposes each node's component port, so pushes keep working
    /// whichever node is a user's home.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ContainerResource>> WithPushComponent(
        this IReadOnlyList<IResourceBuilder<ContainerResource>> nodes, ReferenceExpression jid, IResourceBuilder<ParameterResource> secret)
    {
        foreach (var node in nodes)
        {
            node.WithEndpoint(targetPort: ComponentPort, name: "component", scheme: "tcp")
                .WithEnvironment("PROSODY_PUSH_COMPONENT", jid)
                .WithEnvironment("PROSODY_PUSH_COMPONENT_SECRET", secret);
        }
        return nodes;
    }

    /// <summary>Gives the gateway its component identity and one link per Prosody node (id and component endpoint); it starts once every node is up.</summary>
    public static IResourceBuilder<ProjectResource> WithComponentLinks(this IResourceBuilder<ProjectResource> gateway,
        IReadOnlyList<IResourceBuilder<ContainerResource>> nodes, ReferenceExpression jid, IResourceBuilder<ParameterResource> secret,
        IResourceBuilder<ParameterResource> xmppDomain)
    {
        gateway.WithEnvironment("Push__Component__Jid", jid)
            .WithEnvironment("Push__Component__Secret", secret)
            .WithEnvironment("Push__Component__XmppDomain", xmppDomain);
        for (var i = 0; i < nodes.Count; i++)
        {
            gateway.WithEnvironment($"Push__Component__Nodes__{i}__Id", nodes[i].Resource.Name)
                .WithEnvironment($"Push__Component__Nodes__{i}__Address", nodes[i].GetEndpoint("component"))
                .WaitFor(nodes[i]);
        }
        return gateway;
    }

    /// <summary>
    /// Configures APNs and/or FCM from the AppHost's <c>Push:Apns</c> / <c>Push:Fcm</c> sections (e.g.
    /// <c>--Push:Apns:KeyId=…</c> or user secrets), each only when its section or its secret parameter is set. The key material comes from
    /// the secret parameters <c>apns-private-key</c> (the .p8 PEM) and <c>fcm-service-account</c> (the key file JSON),
    /// never from the section. Without either section the gateway runs, delivers nothing and says so in its health.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPushProviders(this IResourceBuilder<ProjectResource> gateway, IDistributedApplicationBuilder builder)
    {
        foreach (var (provider, secretKey, parameterName) in new[] { ("Apns", "PrivateKey", "apns-private-key"), ("Fcm", "ServiceAccountJson", "fcm-service-account") })
        {
            var section = builder.Configuration.GetSection($"Push:{provider}");
            if (!section.Exists() && builder.Configuration[$"Parameters:{parameterName}"] is null)
            {
                continue;
            }
            if (section[secretKey] is not null)
            {
                throw new DistributedApplicationException(
                    $"Push:{provider}:{secretKey} is a secret: set the parameter {parameterName} instead (Parameters:{parameterName}, e.g. in user secrets).");
            }
            foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true).Where(kv => kv.Value is not null))
            {
                gateway.WithEnvironment($"Push__{provider}__{key.Replace(":", "__", StringComparison.Ordinal)}", value);
            }
            gateway.WithEnvironment($"Push__{provider}__{secretKey}", builder.AddParameter(parameterName, secret: true));
        }
        return gateway;
    }
}
