using System.IO.Hashing;
using System.Net;
using System.Text;
using CommEazy.Cluster;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Edge.LoadBalancing;

/// <summary>
/// Sends each connection to its user's home node. With a user key <c>u</c> (query <c>?u=</c>, else header
/// <c>X-CommEazy-User</c>; 32 lowercase hex characters, anything else is ignored) the node is picked by the
/// cluster's shared <see cref="HomeNode"/> function over the available destinations (destination id = node id):
/// the live members the Edge can reach (<see cref="Cluster.LiveMembersOnly"/> filters them first), the same answer
/// every Prosody node computes from the same heartbeats. Without one (a client that skipped the AuthBridge) it falls back
/// to rendezvous hashing of the client IP (HAProxy's <c>balance source</c>); the node then moves the client to its
/// home after login (see-other-uri). Both are rendezvous hashes: losing a node moves only the keys it held, so
/// there is no ring to cache; a pick costs one hash per destination.
/// </summary>
internal sealed class ConsistentHashLoadBalancingPolicy : ILoadBalancingPolicy
{
    public const string UserKeyQuery = "u";
    public const string UserKeyHeader = "X-CommEazy-User";

    public string Name => LoadBalancingPolicyNames.ConsistentHash;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }
        if (UserKeyOf(context.Request) is { } userKey)
        {
            return HomeNode.Home(userKey, availableDestinations, static d => d.DestinationId);
        }
        var clientKey = ClientAddressKey(context);
        DestinationState? best = null;
        ulong bestScore = 0;
        foreach (var destination in availableDestinations)
        {
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
