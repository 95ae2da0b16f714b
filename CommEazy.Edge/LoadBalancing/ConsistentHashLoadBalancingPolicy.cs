using System.IO.Hashing;
using System.Net;
using System.Text;
using CommEazy.Cluster;
using CommEazy.Edge.Cluster;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Edge.LoadBalancing;

/// <summary>
/// Sends each connection to its user's home node. With a user key <c>u</c> (query <c>?u=</c>, else header
/// <c>X-CommEazy-User</c>; 32 lowercase hex characters, anything else is ignored) the home is the cluster's shared
/// <see cref="HomeNode"/> function over the live members (destination id = node id), the answer every Prosody node
/// computes from the same heartbeats. If the Edge cannot reach that node the answer is no node at all (the client
/// is told to retry) rather than another node, which would only send it back. Without a key (a client that skipped
/// the AuthBridge) it is rendezvous hashing of the client IP over the reachable live members (HAProxy's
/// <c>balance source</c>); the node then moves the client to its home after login (see-other-uri). While the
/// membership is unknown (no heartbeat read yet) the reachable destinations stand in for it. Rendezvous hashing
/// moves only the keys of a node that leaves, so there is no ring to cache; a pick costs one hash per node.
/// </summary>
internal sealed class ConsistentHashLoadBalancingPolicy(IClusterMembership membership) : ILoadBalancingPolicy
{
    public const string UserKeyQuery = "u";
    public const string UserKeyHeader = "X-CommEazy-User";

    public string Name => LoadBalancingPolicyNames.ConsistentHash;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var view = membership.Current;
        if (UserKeyOf(context.Request) is { } userKey)
        {
            var home = view.IsKnown
                ? HomeNode.Home(userKey, view.LiveMembers)
                : HomeNode.Home(userKey, availableDestinations, static d => d.DestinationId)?.DestinationId;
            return home is null ? null : Find(availableDestinations, home);
        }
        var clientKey = ClientAddressKey(context);
        DestinationState? best = null;
        ulong bestScore = 0;
        foreach (var destination in availableDestinations)
        {
            if (view.IsKnown && !view.IsLive(destination.DestinationId))
            {
                continue;
            }
            var score = AddressScore(clientKey, destination.DestinationId);
            // Ties are astronomically unlikely; the ordinal id comparison keeps the answer deterministic anyway.
            if (best is null || score > bestScore || (score == bestScore && string.CompareOrdinal(destination.DestinationId, best.DestinationId) > 0))
            {
                best = destination;
                bestScore = score;
            }
        }
        return best;
    }

    private static DestinationState? Find(IReadOnlyList<DestinationState> destinations, string id)
    {
        for (var i = 0; i < destinations.Count; i++)
        {
            if (destinations[i].DestinationId == id)
            {
                return destinations[i];
            }
        }
        return null;
    }

    /// <summary>The well-formed user key of the request (query first, then header), or null.</summary>
    internal static string? UserKeyOf(HttpRequest request)
    {
        var fromQuery = request.Query[UserKeyQuery];
        if (fromQuery.Count == 1 && UserKey.IsValid(fromQuery[0]))
        {
            return fromQuery[0];
        }
        var fromHeader = request.Headers[UserKeyHeader];
        if (fromHeader.Count == 1 && UserKey.IsValid(fromHeader[0]))
        {
            return fromHeader[0];
        }
        return null;
    }

    private static byte[] ClientAddressKey(HttpContext context) =>
        Encoding.UTF8.GetBytes((context.Connection.RemoteIpAddress ?? IPAddress.None).ToString());

    internal static ulong AddressScore(ReadOnlySpan<byte> clientKey, string destinationId)
    {
        var seed = (long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(destinationId));
        return XxHash64.HashToUInt64(clientKey, seed);
    }
}
