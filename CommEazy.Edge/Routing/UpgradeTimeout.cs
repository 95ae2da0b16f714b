namespace CommEazy.Edge.Routing;

/// <summary>
/// Bounds the wait for a node to answer a WebSocket upgrade. YARP's activity timeout also governs the idle time of
/// an upgraded connection (minutes), so it cannot be short; but a node that vanished behind a proxy or load balancer
/// that still accepts connections would otherwise hold the client's upgrade for all of it. If no response has started
/// within <see cref="EdgeOptions.UpgradeTimeout"/> the attempt is cancelled and the client gets 504 at once, retries,
/// and lands elsewhere once the membership has dropped the node.
/// </summary>
internal static class UpgradeTimeout
{
    /// <summary>Adds the bound to the proxy pipeline (first, so it covers every later step).</summary>
    public static IReverseProxyApplicationBuilder UseUpgradeTimeout(this IReverseProxyApplicationBuilder proxy, TimeSpan timeout)
    {
        proxy.Use(async (context, next) =>
        {
            var clientAborted = context.RequestAborted;
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
            context.RequestAborted = attempt.Token;
            using var timer = new Timer(_ =>
            {
                if (!context.Response.HasStarted)
                {
                    attempt.Cancel();
                }
            }, null, timeout, Timeout.InfiniteTimeSpan);
            await next();
            if (attempt.IsCancellationRequested && !clientAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.Headers.RetryAfter = "1";
                await Results.Problem(title: "XMPP node did not answer",
                    detail: $"the node chosen for this connection did not answer within {timeout.TotalSeconds:0.#} s; retry",
                    statusCode: StatusCodes.Status504GatewayTimeout).ExecuteAsync(context);
            }
        });
        return proxy;
    }
}
