namespace CommEazy.Edge.Health;

/// <summary>Names of the Edge's own YARP active health check policies, referenced from the cluster config.</summary>
internal static class HealthCheckPolicyNames
{
    /// <summary>
    /// HAProxy's <c>fall 3 rise 2</c>: a node is out after 3 failed probes in a row and back after 2 good ones in a
    /// row, so one lucky answer from a flapping node does not bring it back (YARP's ConsecutiveFailures does).
    /// </summary>
    public const string FallRise = nameof(FallRise);
}
