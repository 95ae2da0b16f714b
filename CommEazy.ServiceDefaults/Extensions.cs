using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every CommEazy service shares: OpenTelemetry (OTLP to the Aspire dashboard and a Prometheus
/// scraping endpoint), health endpoints, service discovery and standard resilience for HttpClients.
/// </summary>
public static class Extensions
{
    /// <summary>Names of our own meters and activity sources start with this (one per service, named after the assembly).</summary>
    public const string CommEazyTelemetryPrefix = "CommEazy.*";

    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>Configuration key of the port that serves health and metrics to the orchestrator and Prometheus only.</summary>
    public const string InternalPortKey = "InternalPort";

    /// <summary>Adds telemetry, health checks, service discovery and resilient HttpClients to a service.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddBadRequestProblems();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>
    /// Makes a request the framework cannot read (malformed JSON, wrong content type, a value that does not parse)
    /// a 4xx problem with the reason, in every environment: minimal APIs throw <see cref="BadHttpRequestException"/>
    /// (outside Development they would otherwise answer a bare 400 and log the reason at Debug, and in Development the
    /// exception would become a 500), and <see cref="BadRequestExceptionHandler"/> turns it into problem details.
    /// A body that is not JSON at all is answered 415 by the framework without an exception; its problem (written by
    /// <c>app.UseStatusCodePages()</c>) says what is expected. Services call <c>app.UseExceptionHandler()</c> and
    /// <c>app.UseStatusCodePages()</c>.
    /// </summary>
    public static TBuilder AddBadRequestProblems<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && context.ProblemDetails.Detail is null)
            {
                context.ProblemDetails.Detail = "the request body must be JSON (Content-Type: application/json)";
            }
        });
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return builder;
    }

    /// <summary>Adds OpenTelemetry logs, metrics and traces for ASP.NET Core, HttpClient, the runtime and our own sources.</summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        // Every SQL command and every resilience attempt at Information drowns what an operator needs to read;
        // their warnings and errors still show (a service's own settings may lower them again).
        builder.Logging.AddFilter("Npgsql.Command", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(CommEazyTelemetryPrefix, "Npgsql")
                // Each scrape reads the instruments afresh (the exporter caches 300 ms by default).
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, CommEazyTelemetryPrefix, "Npgsql")
                // Health probes and scrapes would drown the traces that matter.
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                    !ctx.Request.Path.StartsWithSegments(HealthEndpointPath)
                    && !ctx.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                    && !ctx.Request.Path.StartsWithSegments("/metrics"))
                // Push traces (PushGateway -> APNs/FCM) show the provider call, never the device token in its URL.
                .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = TraceRedaction.EnrichOutgoingRequest));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>Adds the liveness check every service has; services add their own readiness checks beside it.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check must pass), <c>/alive</c> (the process answers) and <c>/metrics</c>
    /// (Prometheus text format). When the configuration names an <c>InternalPort</c>, they answer only on the
    /// listener bound to that port (decided by the local port of the connection, not by the Host header, so a
    /// proxy in front changes nothing), and a service's public port never shows its internals.
    /// <paramref name="internalEndpoints"/> maps a service's own operator endpoints beside them, equally internal.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, Action<IEndpointRouteBuilder>? internalEndpoints = null)
    {
        if (app.Configuration.GetValue<int?>(InternalPortKey) is not { } internalPort)
        {
            MapHealthAndMetrics(app);
            internalEndpoints?.Invoke(app);
            return app;
        }
        app.MapWhen(context => context.Connection.LocalPort == internalPort, internalListener =>
        {
            // The outer routing may already have picked a public endpoint (e.g. a fallback): route again here.
            internalListener.Use((context, next) =>
            {
                context.SetEndpoint(null);
                return next(context);
            });
            internalListener.UseRouting();
            internalListener.UseEndpoints(endpoints =>
            {
                MapHealthAndMetrics(endpoints);
                internalEndpoints?.Invoke(endpoints);
            });
        });
        return app;
    }

    private static void MapHealthAndMetrics(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteJson });
        endpoints.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        endpoints.MapPrometheusScrapingEndpoint();
    }
}
