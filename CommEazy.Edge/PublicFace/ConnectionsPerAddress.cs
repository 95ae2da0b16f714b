using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace CommEazy.Edge.PublicFace;

/// <summary>
/// Caps the concurrent requests (in practice: WebSocket connections) one client address holds on the public listener,
/// so one host cannot take the Edge's sockets for everyone; the excess gets 429 with a reason. The address is the
/// forwarded one when the request came through a trusted proxy.
/// </summary>
internal static class ConnectionsPerAddress
{
    public static IApplicationBuilder UseConnectionsPerAddressLimit(this IApplicationBuilder app)
    {
        var counts = new ConcurrentDictionary<IPAddress, int>();
        var limit = app.ApplicationServices.GetRequiredService<IOptions<EdgeOptions>>().Value.ConnectionsPerAddress;
        var metrics = app.ApplicationServices.GetRequiredService<EdgeMetrics>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionsPerAddress));
        return app.Use(async (context, next) =>
        {
            var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
            if (counts.AddOrUpdate(address, 1, static (_, n) => n + 1) > limit)
            {
                Release(counts, address);
                metrics.Refused("too-many-connections");
                Log.TooManyConnections(logger, limit);
                await RetryLater.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many connections",
                    $"this address already holds {limit} connections to the Edge", retryAfterSeconds: 30);
                return;
            }
            try
            {
                await next(context);
            }
            finally
            {
                Release(counts, address);
            }
        });
    }

    private static void Release(ConcurrentDictionary<IPAddress, int> counts, IPAddress address)
    {
        if (counts.AddOrUpdate(address, 0, static (_, n) => n - 1) <= 0)
        {
            counts.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    }
}
