using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CommEazy.AuthBridge.Apis;

/// <summary>
/// The per-client-address rate limit of the public endpoints (ASP.NET Core's rate limiter): every address has a token
/// bucket of <see cref="AuthBridgeOptions.RequestBurstPerAddress"/> requests refilled at
/// <see cref="AuthBridgeOptions.RequestsPerSecondPerAddress"/>, so a flood of tokens, good or forged, costs the AuthBridge
/// a bounded amount of CPU and database work per address. A refusal is 429 with Retry-After and a problem, counted and
/// logged at Debug (never with the token: the limiter answers before the request is read). The client address is the
/// connection's, or the forwarded one when the connection comes from one of <see cref="AuthBridgeOptions.TrustedProxies"/>.
/// The internal port (health, metrics) branches off before the limiter and is never limited.
/// </summary>
internal static class ClientRateLimit
{
    public const string PolicyName = "per-client-address";

    /// <summary>Adds the rate limiter with the per-address policy, and the forwarded-headers rule of the trusted proxies.</summary>
    public static IHostApplicationBuilder AddClientRateLimit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<AuthBridgeOptions>>((forwarded, options) => forwarded.TrustOnly(options.Value.TrustedProxies));
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy<IPAddress, ClientAddressRateLimitPolicy>(PolicyName);
        });
        return builder;
    }

    /// <summary>Takes the client address from a trusted proxy's X-Forwarded-For, then applies the limit to endpoints that require it.</summary>
    public static IApplicationBuilder UseClientRateLimit(this IApplicationBuilder app) => app.UseForwardedHeaders().UseRateLimiter();

    /// <summary>
    /// The bucket an address counts against: IPv4 as it is (also when it arrives IPv4-mapped), IPv6 by its /64, since
    /// one host is usually given a whole /64 and could otherwise take a fresh bucket per request.
    /// </summary>
    internal static IPAddress PartitionKey(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }
}

/// <summary>A token bucket per client address (<see cref="ClientRateLimit.PartitionKey"/>), refusing at once when it is empty.</summary>
internal sealed class ClientAddressRateLimitPolicy : IRateLimiterPolicy<IPAddress>
{
    private readonly TokenBucketRateLimiterOptions _bucket;
    private readonly string _detail;
    private readonly AuthBridgeMetrics _metrics;
    private readonly ILogger<ClientAddressRateLimitPolicy> _logger;

    public ClientAddressRateLimitPolicy(IOptions<AuthBridgeOptions> options, AuthBridgeMetrics metrics, ILogger<ClientAddressRateLimitPolicy> logger)
    {
        var limits = options.Value;
        _bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.RequestBurstPerAddress,
            TokensPerPeriod = limits.RequestsPerSecondPerAddress,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0, // a queued request would hold its connection while it waits: refuse instead
        };
        _detail = $"more than {limits.RequestBurstPerAddress} requests at once or {limits.RequestsPerSecondPerAddress} per second from this address";
        _metrics = metrics;
        _logger = logger;
        OnRejected = RejectAsync;
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; }

    public RateLimitPartition<IPAddress> GetPartition(HttpContext httpContext) =>
        RateLimitPartition.GetTokenBucketLimiter(ClientRateLimit.PartitionKey(httpContext.Connection.RemoteIpAddress), _ => _bucket);

    private async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        var route = (context.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unknown";
        _metrics.RateLimited(route);
        Log.RequestRateLimited(_logger, route, retryAfter);
        await ApiProblems.TooManyRequests(context.HttpContext, retryAfter, _detail).ExecuteAsync(context.HttpContext);
    }
}
