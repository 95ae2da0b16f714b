using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>PostgreSQL for CommEazy: Aspire's Postgres resource, built from Debian's PostgreSQL 15 in <c>containers/postgres</c>.</summary>
internal static class PostgresResourceExtensions
{
    /// <summary>Builds the server from our Dockerfile (it honours the official image's environment contract), so no registry is needed.</summary>
    public static IResourceBuilder<PostgresServerResource> WithCommEazyImage(this IResourceBuilder<PostgresServerResource> postgres) =>
        postgres.WithDockerfile("../containers/postgres");

    /// <summary>Keeps enough WAL on the primary (512 MB) for a streaming replica to catch up after a short outage.</summary>
    public static IResourceBuilder<PostgresServerResource> WithStreamingReplication(this IResourceBuilder<PostgresServerResource> postgres) =>
        postgres.WithArgs("-c", "wal_keep_size=512MB");

    /// <summary>
    /// Adds a hot-standby streaming replica of <paramref name="primary"/>, from the same image: its first start copies the
    /// primary with <c>pg_basebackup</c>, then it streams WAL and serves read-only queries (and backups).
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddPostgresReplica(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresServerResource> primary)
    {
        var endpoint = primary.Resource.PrimaryEndpoint;
        return builder.AddDockerfile(name, "../containers/postgres")
            .WithEndpoint(targetPort: 5432, name: "tcp", scheme: "tcp")
            .WithEnvironment("POSTGRES_PRIMARY_HOST", endpoint.Property(EndpointProperty.Host))
            .WithEnvironment("POSTGRES_PRIMARY_PORT", endpoint.Property(EndpointProperty.Port))
            .WithEnvironment("POSTGRES_USER", primary.Resource.UserNameReference)
            .WithEnvironment("POSTGRES_PASSWORD", primary.Resource.PasswordParameter)
            .WithEnvironment("POSTGRES_REPLICA_NAME", name.Replace('-', '_'))
            .WithVolume($"commeazy-{name}-data", "/var/lib/postgresql/data")
            .WaitFor(primary);
    }
}
