namespace CommEazy.PushGateway.Providers;

/// <summary>
/// Hands a push to the provider that serves its platform. A platform whose provider is not configured is a
/// temporary failure (→ <c>wait</c>): a gap in our configuration must not get users' registrations removed.
/// </summary>
internal sealed class PushProviderRouter(IEnumerable<IPushProvider> providers, ILogger<PushProviderRouter> logger)
{
    private readonly IPushProvider[] _providers = providers.ToArray();

    public bool IsEnabled(PushPlatform platform) => Find(platform) is not null;

    public Task<PushResult> SendAsync(PushRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Find(request.Platform) is { } provider)
        {
            return provider.SendAsync(request, cancellationToken);
        }
        Log.ProviderNotConfigured(logger, request.Platform.ToLabel());
        return Task.FromResult(PushResult.Temporary("provider_not_configured"));
    }

    private IPushProvider? Find(PushPlatform platform) => Array.Find(_providers, p => p.Supports(platform));
}

/// <summary>Says once, at startup, which push providers this gateway has.</summary>
internal sealed class PushProvidersStartupLog(IEnumerable<IPushProvider> providers, ILogger<PushProvidersStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var names = providers.Select(p => p.Name).ToArray();
        if (names.Length == 0)
        {
            Log.NoPushProviders(logger);
        }
        else
        {
            Log.PushProvidersEnabled(logger, string.Join(", ", names));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
