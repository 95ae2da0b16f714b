using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CommEazy.Edge.Admission;

/// <summary>
/// Admission control per node. A login costs a Prosody node 11–13 ms of CPU on its single thread (~75/s, DESIGN.md
/// §4), and when a node dies all its users come back at once. Each node gets a token bucket of
/// <see cref="EdgeOptions.AdmissionRatePerNode"/> new connections per second (with a small burst) and a bounded queue:
/// a connection waits its turn while the queue has room, and beyond that is answered 503 with a Retry-After that
/// spreads the retries out (jitter), so the node never takes more than it can and the apps come back in order.
/// </summary>
internal sealed class NodeAdmission(IOptions<EdgeOptions> options, EdgeMetrics metrics) : IDisposable
{
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _limiters = new(StringComparer.Ordinal);

    /// <summary>A lease to open a connection to <paramref name="nodeId"/>, waiting in its queue if need be; null when refused.</summary>
    public async Task<RateLimitLease?> AdmitAsync(string nodeId, CancellationToken cancellationToken)
    {
        var limiter = _limiters.GetOrAdd(nodeId, static (_, o) => NewLimiter(o), options.Value);
        var lease = limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            metrics.Admission(nodeId, "admitted");
            return lease;
        }
        lease.Dispose();
        metrics.Admission(nodeId, "queued");
        try
        {
            lease = await limiter.AcquireAsync(1, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        if (lease.IsAcquired)
        {
            metrics.Admission(nodeId, "admitted");
            return lease;
        }
        lease.Dispose();
        metrics.Admission(nodeId, "refused");
        return null;
    }

    /// <summary>Seconds a refused app should wait: the time the queue takes to drain, plus jitter so retries do not come back in step.</summary>
    public int RetryAfterWithJitter()
    {
        var o = options.Value;
        var drain = (int)Math.Ceiling((double)o.AdmissionQueuePerNode / o.AdmissionRatePerNode);
        return Math.Max(1, drain) + Random.Shared.Next(0, o.AdmissionRetryJitterSeconds + 1);
    }

    private static TokenBucketRateLimiter NewLimiter(EdgeOptions o) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = o.AdmissionBurstPerNode,
        // Refilled every 100 ms, so a second's worth arrives evenly rather than in one lump.
        ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
        TokensPerPeriod = Math.Max(1, o.AdmissionRatePerNode / 10),
        QueueLimit = o.AdmissionQueuePerNode,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }
}
