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
    /// Adds a public HTTPS endpoint on <paramref name="port"/> when this machine has an ASP.NET Core development
    /// certificate (<c>dotnet dev-certs https</c>); Kestrel serves it with that certificate. Without one, nothing is added.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithHttpsEndpointWhereDevCertificateExists(this IResourceBuilder<ProjectResource> service, int port, string portVariable)
    {
        if (!DevelopmentCertificate.Exists())
        {
            return service;
        }
        return service.WithHttpsEndpoint(port: port, name: "https", isProxied: false)
            .WithEnvironment(portVariable, port.ToString(CultureInfo.InvariantCulture));
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
