using System.Net;
using CommEazy.PushGateway;
using CommEazy.PushGateway.Providers;
using CommEazy.PushGateway.Providers.Apns;
using CommEazy.PushGateway.Providers.Fcm;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers the APNs and FCM push providers.</summary>
internal static class PushProvidersExtensions
{
    /// <summary>Adds an APNs and/or FCM push provider for each of <c>Push:Apns</c> / <c>Push:Fcm</c> that is configured, so the gateway can deliver content-free pushes.</summary>
    /// <remarks>
    /// A provider whose section is absent is not registered; startup logs which are enabled. Each provider gets its
    /// own HttpClient whose only resilience pipeline is the one its outcome table drives.
    /// </remarks>
    public static IHostApplicationBuilder AddPushProviders(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PushGatewayMetrics>();
        services.TryAddSingleton<PushProviderRouter>();
        services.AddHostedService<PushProvidersStartupLog>();

        if (builder.Configuration.GetSection(ApnsOptions.SectionName).Exists())
        {
            AddApns(services);
        }
        if (builder.Configuration.GetSection(FcmOptions.SectionName).Exists())
        {
            AddFcm(services);
        }
        return builder;
    }

    private static void AddApns(IServiceCollection services)
    {
        services.AddOptions<ApnsOptions>()
            .BindConfiguration(ApnsOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<ApnsProviderTokenSource>();
        services.AddSingleton<IPushProvider, ApnsPushProvider>();

        services.AddHttpClient(ApnsPushProvider.HttpClientName, client =>
            {
                // HTTP/2 only: APNs speaks nothing else, and every push is a stream on one connection.
                client.DefaultRequestVersion = HttpVersion.Version20;
                client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
                // The resilience pipeline's total timeout bounds every push.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // One connection per APNs host carrying up to its SETTINGS_MAX_CONCURRENT_STREAMS streams; requests
                // beyond that queue for a free stream instead of opening more connections.
                EnableMultipleHttp2Connections = false,
                // Apple asks for long-lived connections; renew hourly so DNS changes are picked up.
                PooledConnectionLifetime = TimeSpan.FromHours(1),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(30),
                KeepAlivePingDelay = TimeSpan.FromMinutes(1),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                AllowAutoRedirect = false,
                UseCookies = false,
                // No System.Net.Http span or traceparent for these requests: the request URL carries the device
                // token (/3/device/<token>) and would end up in url.full. ApnsPushProvider traces the push itself.
                ActivityHeadersPropagator = null,
                SslOptions = { RemoteCertificateValidationCallback = sp.GetService<ProviderServerCertificateTrust>() is { } trust ? trust.Validate : null },
            })
            // The factory's periodic handler rotation would drop the pooled connection every 2 minutes.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // HttpClientFactory's request logging writes the URL, and with it the device token.
            .RemoveAllLoggers()
            .ConfigureProviderResilience<ApnsOptions>("apns", ApnsOutcomes.Table, o => o.Retry);
    }

    private static void AddFcm(IServiceCollection services)
    {
        services.AddOptions<FcmOptions>()
            .BindConfiguration(FcmOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<FcmAccessTokenSource>();
        services.AddSingleton<IPushProvider, FcmPushProvider>();

        services.AddHttpClient(FcmPushProvider.HttpClientName, client =>
            {
                client.DefaultRequestVersion = HttpVersion.Version20;
                client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromHours(1),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                AllowAutoRedirect = false,
                UseCookies = false,
                SslOptions = { RemoteCertificateValidationCallback = sp.GetService<ProviderServerCertificateTrust>() is { } trust ? trust.Validate : null },
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The body (which holds the token) is never logged, but keep both providers' logs to our own lines.
            .RemoveAllLoggers()
            .ConfigureProviderResilience<FcmOptions>("fcm", FcmOutcomes.Table, o => o.Retry);
    }

    /// <summary>
    /// Replaces whatever resilience handlers the client got by default (ServiceDefaults adds the standard handler to
    /// every HttpClient, which would retry 5xx on its own and multiply our attempts) with the provider's pipeline.
    /// </summary>
    private static IHttpClientBuilder ConfigureProviderResilience<TOptions>(
        this IHttpClientBuilder http, string pipelineName, OutcomeTable table, Func<TOptions, PushRetryOptions> retry)
        where TOptions : class
    {
        // Experimental (EXTEXP0001) in Microsoft.Extensions.Http.Resilience 10.10, but it is the documented way to
        // opt a client out of ConfigureHttpClientDefaults' handler; PushResilienceTests pin its behaviour.
#pragma warning disable EXTEXP0001
        http.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        http.AddResilienceHandler(pipelineName, (pipeline, context) =>
            PushResilience.Configure(
                pipeline,
                retry(context.ServiceProvider.GetRequiredService<IOptions<TOptions>>().Value),
                table,
                context.ServiceProvider.GetRequiredService<TimeProvider>()));
        return http;
    }
}
