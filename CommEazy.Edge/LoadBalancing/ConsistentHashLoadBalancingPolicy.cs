using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net;
using System.Text;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Edge.LoadBalancing;

/// <summary>
/// Sends every connection with the same client key to the same node (rendezvous / highest-random-weight
/// hashing): each destination scores <c>XxHash64(key, seed = hash(destination id))</c> and the highest score
/// wins. Adding or losing a node moves only the keys that node wins or held. The key is the opaque user key
/// <c>u</c> when the app sends one, else the client IP (HAProxy's <c>balance source</c>).
/// </summary>
internal sealed class ConsistentHashLoadBalancingPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.ConsistentHash;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }
        var key = ClientKey(context);
        DestinationState? best = null;
        ulong bestScore = 0;
        foreach (var destination in availableDestinations)
        {
            var score = Score(key, destination.DestinationId);
            // Ties are astronomically unlikely; the ordinal id comparison keeps the answer deterministic anyway.
            if (best is null || score > bestScore || (score == bestScore && string.CompareOrdinal(destination.DestinationId, best.DestinationId) > 0))
            {
                best = destination;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>The user key from the query (<c>?u=</c>) when present, else the connecting IP address.</summary>
    internal static string ClientKey(HttpContext context)
    {
        var userKey = context.Request.Query["u"].ToString();
        if (userKey.Length is > 0 and <= 128)
        {
            return "u:" + userKey;
        }
        return "ip:" + (context.Connection.RemoteIpAddress ?? IPAddress.None);
    }

    internal static ulong Score(string key, string destinationId)
    {
        var seed = (long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(destinationId));
        return XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key), seed);
    }
}
