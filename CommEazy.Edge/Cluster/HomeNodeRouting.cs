using CommEazy.Edge.LoadBalancing;
using CommEazy.Edge.PublicFace;
using Yarp.ReverseProxy.LoadBalancing;

namespace CommEazy.Edge.Cluster;

/// <summary>
/// A step of the proxy pipeline, in place of YARP's load balancing: it asks our <see cref="ConsistentHashLoadBalancingPolicy"/>
/// for the node every time, because YARP skips the policy when only one destination is reachable, and that one may be
/// draining, dead or not the user's home. When the policy finds no node the client gets 503 with Retry-After at
/// once instead of a hang.
/// </summary>
internal static class HomeNodeRouting
{
    /// <summary>Seconds a client is told to wait when no node can take it.</summary>
    public const int RetryAfterSeconds = 2;

    /// <summary>Adds the step to the proxy pipeline.</summary>
    public static IReverseProxyApplicationBuilder UseHomeNodeRouting(this IReverseProxyApplicationBuilder proxy)
    {
        var policy = proxy.ApplicationServices.GetServices<ILoadBalancingPolicy>().OfType<ConsistentHashLoadBalancingPolicy>().Single();
        var metrics = proxy.ApplicationServices.GetRequiredService<EdgeMetrics>();
        proxy.Use(async (context, next) =>
        {
            var feature = context.GetReverseProxyFeature();
            var node = policy.PickDestination(context, feature.Route.Cluster!, feature.AvailableDestinations);
            if (node is null)
            {
                metrics.Refused("no-node");
                await RetryLater.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "No XMPP node available",
                    $"no cluster node can take this connection right now; retry in {RetryAfterSeconds} s", RetryAfterSeconds);
                return;
            }
            feature.AvailableDestinations = [node];
            await next();
        });
        return proxy;
    }
}
