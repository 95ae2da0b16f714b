using System.ComponentModel.DataAnnotations;

namespace CommEazy.PushGateway.Component;

/// <summary>
/// The XEP-0114 links to the Prosody nodes (<c>Push:Component</c>). The gateway is the same component
/// (<see cref="Jid"/>) on every node, so a registration keeps working when a user's home node changes.
/// <see cref="Secret"/> comes from the Aspire secret parameter <c>push-component-secret</c>.
/// </summary>
internal sealed class ComponentOptions : IValidatableObject
{
    public const string SectionName = "Push:Component";
    private const string DnsName = @"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$";

    /// <summary>The component JID, e.g. <c>push.commeazy.local</c> (Prosody: <c>Component "push.commeazy.local"</c>).</summary>
    [Required, RegularExpression(DnsName, ErrorMessage = "Push:Component:Jid must be a lowercase DNS name.")]
    public string Jid { get; set; } = "";

    /// <summary>The shared secret of the XEP-0114 handshake (Prosody's <c>component_secret</c>). Secret.</summary>
    [Required, MinLength(16)]
    public string Secret { get; set; } = "";

    /// <summary>The XMPP domain: the only sender whose publishes are served (mod_cloud_notify sends from the host).</summary>
    [Required, RegularExpression(DnsName, ErrorMessage = "Push:Component:XmppDomain must be a lowercase DNS name.")]
    public string XmppDomain { get; set; } = "";

    /// <summary>Every Prosody node: one link each.</summary>
    [MinLength(1, ErrorMessage = "Push:Component:Nodes must list at least one Prosody node.")]
    public List<ComponentNode> Nodes { get; set; } = [];

    /// <summary>How long connecting and the handshake may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first reconnect delay after a failure; later ones double (with jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An XEP-0199 ping to the domain this often proves the link alive (a silently dead node is noticed).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A ping unanswered this long drops the link, which then reconnects.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Publishes handled at once per link; more are answered <c>wait</c> at once (Prosody does not count those).</summary>
    [Range(1, 100_000)]
    public int MaxConcurrentPublishes { get; set; } = 1024;

    /// <summary>The largest stanza accepted from Prosody (a publish is under 1 KiB); a larger one drops the link.</summary>
    [Range(4096, 1024 * 1024)]
    public int MaxStanzaBytes { get; set; } = 64 * 1024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Secret is { Length: > 0 } && Secret.Any(c => c <= ' ' || c > '~'))
        {
            yield return new ValidationResult($"{SectionName}:Secret must be printable ASCII without spaces.", [nameof(Secret)]);
        }
        for (var i = 0; i < Nodes.Count; i++)
        {
            var node = Nodes[i];
            if (string.IsNullOrWhiteSpace(node?.Id))
            {
                yield return new ValidationResult($"{SectionName}:Nodes:{i}:Id is required.", [nameof(Nodes)]);
            }
            if (node?.Address is not { IsAbsoluteUri: true, Scheme: "tcp" } address || address.Port <= 0 || address.Host.Length == 0)
            {
                yield return new ValidationResult($"{SectionName}:Nodes:{i}:Address must be tcp://host:port (the node's component port).", [nameof(Nodes)]);
            }
        }
        foreach (var duplicate in Nodes.Where(n => n?.Id is not null).GroupBy(n => n.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            yield return new ValidationResult($"{SectionName}:Nodes lists node '{duplicate.Key}' more than once.", [nameof(Nodes)]);
        }
        if (ReconnectMaxDelay < ReconnectBaseDelay)
        {
            yield return new ValidationResult($"{SectionName}:ReconnectMaxDelay must not be shorter than ReconnectBaseDelay.", [nameof(ReconnectMaxDelay)]);
        }
    }
}

/// <summary>One Prosody node: its name (as in <c>prosody-1</c>) and its XEP-0114 component endpoint.</summary>
internal sealed class ComponentNode
{
    [Required]
    public string Id { get; set; } = "";

    /// <summary><c>tcp://host:port</c> of the node's component listener (Prosody's port 5347).</summary>
    [Required]
    public Uri Address { get; set; } = null!;
}
