using Yarp.ReverseProxy.Model;

namespace CommEazy.Edge.Cluster;

/// <summary>
/// A step of the proxy pipeline, before load balancing: of the destinations YARP's health checks consider
/// available, only live cluster members remain, so a client is never sent to a draining or dead node (which would
/// only move it on). While the membership is unknown every available destination stays a candidate. When none is
/// left the client gets 503 with Retry-After at once instead of a hang.
/// </summary>
internal static class LiveMembersOnly
{
    /// <summary>Seconds a client is told to wait when no node can take it.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>Adds the filter to the proxy pipeline.</summary>
    public static IReverseProxyApplicationBuilder UseLiveMembersOnly(this IReverseProxyApplicationBuilder proxy)
    {
        var membership = proxy.ApplicationServices.GetRequiredService<IClusterMembership>();
        proxy.Use(async (context, next) =>
        {
            var feature = context.GetReverseProxyFeature();
            feature.AvailableDestinations = Filter(feature.AvailableDestinations, membership.Current);
            if (feature.AvailableDestinations.Count == 0)
            {
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Results.Problem(title: "No XMPP node available",
                    detail: $"no cluster node can take connections right now; retry in {RetryAfterSeconds} s",
                    statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
                return;
            }
            await next();
        });
        return proxy;
    }

    /// <summary>The destinations that are live members, or all of them while the membership is unknown.</summary>
    internal static IReadOnlyList<DestinationState> Filter(IReadOnlyList<DestinationState> destinations, MembershipView view)
    {
        if (!view.IsKnown)
        {
            return destinations;
        }
        var live = new List<DestinationState>(destinations.Count);
        foreach (var destination in destinations)
        {
            if (view.IsLive(destination.DestinationId))
            {
                live.Add(destination);
            }
        }
        return live;
    }
}
