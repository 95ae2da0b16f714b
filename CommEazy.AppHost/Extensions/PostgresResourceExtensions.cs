using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>PostgreSQL for CommEazy: Aspire's Postgres resource, built from Debian's PostgreSQL 15 in <c>containers/postgres</c>.</summary>
internal static class PostgresResourceExtensions
{
    /// <summary>Builds the server from our Dockerfile (it honours the official image's environment contract), so no registry is needed.</summary>
    public static IResourceBuilder<PostgresServerResource> WithCommEazyImage(this IResourceBuilder<PostgresServerResource> postgres) =>
        postgres.WithDockerfile("../containers/postgres");
}
