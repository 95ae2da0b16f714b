using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;

namespace CommEazy.PushGateway.Providers;

/// <summary>
/// The resilience pipeline of a provider's HttpClient: total timeout → retry → attempt timeout. The retry handles
/// what the provider's <see cref="OutcomeTable"/> makes temporary for a whole status (e.g. 429, 5xx), plus
/// connection failures and attempt timeouts; it honours <c>Retry-After</c> up to <see cref="PushRetryOptions.MaxRetryAfter"/>.
/// </summary>
internal static class PushResilience
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, PushRetryOptions options, OutcomeTable table, TimeProvider time)
    {
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "total", Timeout = options.TotalTimeout });
        if (options.MaxAttempts > 1)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, table, options.MaxRetryAfter, time)),
            });
        }
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "attempt", Timeout = options.AttemptTimeout });
    }

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, OutcomeTable table, TimeSpan maxRetryAfter, TimeProvider time) =>
        outcome switch
        {
            { Exception: HttpRequestException or TimeoutRejectedException } => true,
            { Result: { } response } => table.IsRetryableStatus((int)response.StatusCode)
                && (RetryAfter(response, time) is not { } wait || wait <= maxRetryAfter),
            _ => false,
        };

    /// <summary>The provider's <c>Retry-After</c> (seconds or an HTTP date), when it sent one.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}
