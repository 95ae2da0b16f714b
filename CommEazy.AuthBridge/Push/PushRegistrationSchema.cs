using CommEazy.Push;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polly;
using Polly.Retry;

namespace CommEazy.AuthBridge.Push;

/// <summary>
/// Creates the push registrations table (idempotent; the AuthBridge owns it), retrying with backoff while the
/// database is not reachable, so the AuthBridge still starts and serves sessions meanwhile. Its health check is
/// unhealthy until the table exists; the AppHost starts the PushGateway, which reads the table, after that.
/// </summary>
internal sealed class PushRegistrationSchema(PushRegistrationStore store, ILogger<PushRegistrationSchema> logger) : BackgroundService, IHealthCheck
{
    public const string HealthCheckName = "push-registrations";

    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(30),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            OnRetry = args =>
            {
                Log.PushSchemaRetry(logger, args.Outcome.Exception?.GetType().Name ?? "unknown", args.RetryDelay);
                return default;
            },
        })
        .Build();

    private volatile bool _ready;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _retry.ExecuteAsync(async ct => await store.CreateSchemaAsync(ct), stoppingToken);
            _ready = true;
            Log.PushSchemaReady(logger, PushRegistrationTable.Name);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready
            ? HealthCheckResult.Healthy($"table {PushRegistrationTable.Name} exists")
            : HealthCheckResult.Unhealthy($"table {PushRegistrationTable.Name} not created yet (database unreachable?)"));
}
