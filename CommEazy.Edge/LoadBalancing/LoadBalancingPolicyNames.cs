namespace CommEazy.Edge.LoadBalancing;

/// <summary>Names of the Edge's own YARP load-balancing policies, referenced from the cluster config.</summary>
internal static class LoadBalancingPolicyNames
{
    /// <summary>Rendezvous hashing of a stable client key: the same key always reaches the same live node, and a node leaving moves only its own keys.</summary>
    public const string ConsistentHash = nameof(ConsistentHash);
}
