using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Prometheus (built from <c>containers/prometheus</c>) and what it scrapes.</summary>
internal static class ObservabilityResourceExtensions
{
    public const int PrometheusPort = 9090;
    public const int PostgresExporterPort = 9187;

    /// <summary>Adds Prometheus with CommEazy's alert rules, scraping every <paramref name="scrapeInterval"/> (also the rule evaluation interval).</summary>
    public static IResourceBuilder<ContainerResource> AddPrometheus(this IDistributedApplicationBuilder builder, string name, string scrapeInterval) =>
        builder.AddDockerfile(name, "../containers/prometheus")
            .WithHttpEndpoint(targetPort: PrometheusPort, name: "http")
            .WithHttpHealthCheck("/-/ready", endpointName: "http")
            .WithEnvironment("PROMETHEUS_SCRAPE_INTERVAL", scrapeInterval)
            .WithVolume("commeazy-prometheus-data", "/prometheus");

    /// <summary>Has Prometheus scrape <paramref name="endpointName"/> of <paramref name="target"/> as job <paramref name="job"/>, instance = the resource name.</summary>
    public static IResourceBuilder<ContainerResource> WithScrapeTarget<T>(this IResourceBuilder<ContainerResource> prometheus, string job,
        IResourceBuilder<T> target, string endpointName, string path = "/metrics") where T : IResourceWithEndpoints
    {
        var endpoint = target.GetEndpoint(endpointName);
        var variable = "SCRAPE_" + target.Resource.Name.Replace('-', '_').ToUpperInvariant();
        return prometheus.WithEnvironment(variable,
                ReferenceExpression.Create($"{job} {target.Resource.Name} {endpoint.Property(EndpointProperty.HostAndPort)} {path}"))
            .WithReferenceRelationship(target.Resource);
    }

    /// <summary>Has Prometheus scrape every Prosody node's <c>/metrics</c> (mod_http_openmetrics, internal networks only) as job <c>prosody</c>.</summary>
    public static IResourceBuilder<ContainerResource> WithScrapeTargets(this IResourceBuilder<ContainerResource> prometheus, string job,
        IReadOnlyList<IResourceBuilder<ContainerResource>> nodes, string endpointName)
    {
        foreach (var node in nodes)
        {
            prometheus.WithScrapeTarget(job, node, endpointName);
        }
        return prometheus;
    }

    /// <summary>Adds Debian's PostgreSQL exporter for <paramref name="postgres"/>, with our replication-lag queries (<c>containers/postgres-exporter</c>).</summary>
    public static IResourceBuilder<ContainerResource> AddPostgresExporter(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresServerResource> postgres) =>
        builder.AddDockerfile(name, "../containers/postgres-exporter")
            .WithHttpEndpoint(targetPort: PostgresExporterPort, name: "metrics")
            .WithHttpHealthCheck("/metrics", endpointName: "metrics")
            .WithEnvironment("DATA_SOURCE_URI", ReferenceExpression.Create(
                $"{postgres.Resource.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}/postgres?sslmode=disable"))
            .WithEnvironment("DATA_SOURCE_USER", postgres.Resource.UserNameReference)
            .WithEnvironment("DATA_SOURCE_PASS", postgres.Resource.PasswordParameter)
            .WaitFor(postgres);
}
