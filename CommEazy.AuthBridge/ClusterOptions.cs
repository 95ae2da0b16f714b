using System.ComponentModel.DataAnnotations;
using CommEazy.Cluster;

namespace CommEazy.AuthBridge;

/// <summary>What the AuthBridge shares with the cluster: the routing key behind every user key <c>u</c>.</summary>
internal sealed class ClusterOptions : IValidatableObject
{
    public const string SectionName = "Cluster";

    /// <summary>
    /// Secret HMAC key of <see cref="UserKey"/>; the same value every Prosody node has (<c>PROSODY_ROUTING_KEY</c>).
    /// At least 32 characters, never defaulted. Changing it moves users between nodes until every side has the new one.
    /// </summary>
    [Required, MinLength(UserKey.MinRoutingKeyLength)]
    public string RoutingKey { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(RoutingKey))
        {
            yield return new ValidationResult("Cluster:RoutingKey must not be blank.", [nameof(RoutingKey)]);
        }
    }
}
