using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Wiring shared by CommEazy's own C# services.</summary>
internal static class ServiceResourceExtensions
{
    /// <summary>
    /// Gives a service its public HTTP endpoint on a fixed port (so a phone or emulator can be pointed at it) and an
    /// internal one for health and metrics, which the orchestrator probes and apps never see.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPublicAndInternalEndpoints(this IResourceBuilder<ProjectResource> service, int publicPort)
    {
        service.WithHttpEndpoint(port: publicPort, name: "http", isProxied: false)
            .WithEndpoint("http", e => e.IsExternal = true) // the manifest's deployer exposes it to the internet
            .WithHttpEndpoint(name: "internal")
            .WithHttpHealthCheck("/health", endpointName: "internal");
        return service.WithEnvironment("InternalPort", service.GetEndpoint("internal").Property(EndpointProperty.TargetPort));
    }

    /// <summary>
    /// Adds a public HTTPS endpoint on <paramref name="port"/> when the service is given its own certificate
    /// (<paramref name="hasOwnCertificate"/>) or this machine has an ASP.NET Core development certificate
    /// (<c>dotnet dev-certs https</c>), which Kestrel then uses. Without either, nothing is added.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithHttpsEndpointWhereCertificateExists(this IResourceBuilder<ProjectResource> service,
        int port, string portVariable, bool hasOwnCertificate)
    {
        if (!hasOwnCertificate && !DevelopmentCertificate.Exists())
        {
            return service;
        }
        return service.WithHttpsEndpoint(port: port, name: "https", isProxied: false)
            .WithEnvironment(portVariable, port.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Hands every setting under <paramref name="settings"/> (e.g. the AppHost's <c>CommEazy:Edge</c>) to the service as
    /// its <paramref name="section"/> configuration, so an operator tunes a service from the AppHost's configuration.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSettings(this IResourceBuilder<ProjectResource> service,
        Microsoft.Extensions.Configuration.IConfigurationSection settings, string section)
    {
        foreach (var setting in Microsoft.Extensions.Configuration.ConfigurationExtensions.AsEnumerable(settings, makePathsRelative: true))
        {
            if (setting.Value is not null)
            {
                service.WithEnvironment($"{section}__{setting.Key.Replace(":", "__", StringComparison.Ordinal)}", setting.Value);
            }
        }
        return service;
    }

    /// <summary>Runs the service in the AppHost's environment (Development for <c>dotnet run</c>), which switches on development-only features such as the dev token issuer.</summary>
    public static IResourceBuilder<ProjectResource> WithHostEnvironment(this IResourceBuilder<ProjectResource> service, IDistributedApplicationBuilder builder) =>
        service.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);

    /// <summary>Tells a service about every Prosody node, its id and HTTP address, under <c>&lt;section&gt;:Nodes</c>, and waits for them.</summary>
    public static IResourceBuilder<ProjectResource> WithProsodyNodes(this IResourceBuilder<ProjectResource> service,
        IReadOnlyList<IResourceBuilder<ContainerResource>> nodes, string section)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            service.WithEnvironment($"{section}__Nodes__{i}__Id", nodes[i].Resource.Name)
                .WithEnvironment($"{section}__Nodes__{i}__Address", nodes[i].GetEndpoint("http"))
                .WaitFor(nodes[i]);
        }
        return service;
    }
}
