using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CommEazy.PushGateway.Providers;

/// <summary>
/// Says which push providers this gateway has. With none (no <c>Push:Apns</c> / <c>Push:Fcm</c>, e.g. a developer's
/// <c>dotnet run</c> without keys) it is degraded and says plainly that nothing is delivered: every publish is answered
/// <c>wait</c>, so no registration is lost, but no phone is woken either.
/// </summary>
internal sealed class PushProvidersHealthCheck(IEnumerable<IPushProvider> providers) : IHealthCheck
{
    public const string Name = "push-providers";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var all = providers.ToArray();
        var unserved = Enum.GetValues<PushPlatform>().Where(platform => !all.Any(p => p.Supports(platform))).Select(p => p.ToLabel()).ToArray();
        if (all.Length == 0)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                "no push provider is configured (neither Push:Apns nor Push:Fcm): publishes are answered 'wait' and no push is delivered"));
        }
        var serving = "delivering through " + string.Join(", ", all.Select(p => p.Name));
        return Task.FromResult(unserved.Length == 0
            ? HealthCheckResult.Healthy(serving)
            : HealthCheckResult.Degraded($"{serving}; no provider for {string.Join(", ", unserved)} (those publishes are answered 'wait')"));
    }
}
