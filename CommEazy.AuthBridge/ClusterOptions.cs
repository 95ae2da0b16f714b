using System.ComponentModel.DataAnnotations;
using CommEazy.Cluster;

namespace CommEazy.AuthBridge;

/// <summary>What the AuthBridge shares with the cluster: the routing key behind every user key <c>u</c>, and how to reach the nodes' admin endpoint.</summary>
internal sealed class ClusterOptions : IValidatableObject
{
    public const string SectionName = "Cluster";

    /// <summary>
    /// Secret HMAC key of <see cref="UserKey"/>; the same value every Prosody node has (<c>PROSODY_ROUTING_KEY</c>).
    /// At least 32 characters, never defaulted. Changing it moves users between nodes until every side has the new one.
    /// </summary>
    [Required, MinLength(UserKey.MinRoutingKeyLength)]
    public string RoutingKey { get; set; } = "";

    /// <summary>The Prosody nodes, whose internal <c>/cluster</c> endpoint deletes accounts properly (sessions, contacts).</summary>
    public List<ClusterNode> Nodes { get; set; } = [];

    /// <summary>The bearer secret of the nodes' <c>/cluster</c> endpoint (<c>PROSODY_CLUSTER_ADMIN_SECRET</c>).</summary>
    [MinLength(16)]
    public string? AdminSecret { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(RoutingKey))
        {
            yield return new ValidationResult("Cluster:RoutingKey must not be blank.", [nameof(RoutingKey)]);
        }
    }
}

/// <summary>One Prosody node as the AuthBridge reaches it.</summary>
internal sealed class ClusterNode
{
    /// <summary>The node id (its resource name), e.g. <c>prosody-1</c>.</summary>
    [Required]
    public string Id { get; set; } = "";

    /// <summary>The node's HTTP base address, e.g. <c>http://prosody-1:5280</c>.</summary>
    [Required, Url]
    public string Address { get; set; } = "";
}
