using CommEazy.PushGateway;
using CommEazy.PushGateway.Component;
using CommEazy.PushGateway.Providers;
using CommEazy.PushGateway.Registrations;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers the XEP-0357 app server: the registrations it reads and the XEP-0114 links to every Prosody node.</summary>
internal static class ComponentExtensions
{
    /// <summary>Name of the connection string (and Aspire resource) of Prosody's database, where the registrations live.</summary>
    public const string ProsodyDatabase = "prosody";

    /// <summary>Adds the registrations store on Prosody's PostgreSQL database, so publishes can be resolved to devices.</summary>
    public static IHostApplicationBuilder AddPushRegistrations(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ProsodyDatabase))
            && string.IsNullOrWhiteSpace(builder.Configuration["Aspire:Npgsql:ConnectionString"]))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ProsodyDatabase} (Prosody's PostgreSQL database, which holds the push registrations) is required.");
        }
        builder.AddNpgsqlDataSource(ProsodyDatabase);
        builder.Services.TryAddSingleton<IPushRegistrationStore, PostgresPushRegistrationStore>();
        return builder;
    }

    /// <summary>
    /// Adds one XEP-0114 link per Prosody node (<c>Push:Component</c>) answering push publishes, and health checks
    /// that report each link's state and which providers deliver.
    /// </summary>
    public static IHostApplicationBuilder AddComponentLinks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ComponentOptions>()
            .BindConfiguration(ComponentOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<PushGatewayMetrics>();
        builder.Services.TryAddSingleton<PublishHandler>();
        builder.Services.AddSingleton<ComponentLinks>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ComponentLinks>());
        builder.Services.AddHealthChecks()
            .AddCheck<ComponentLinksHealthCheck>(ComponentLinksHealthCheck.Name)
            .AddCheck<PushProvidersHealthCheck>(PushProvidersHealthCheck.Name);
        return builder;
    }
}
