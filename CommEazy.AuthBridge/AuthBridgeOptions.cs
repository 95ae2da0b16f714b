using System.ComponentModel.DataAnnotations;

namespace CommEazy.AuthBridge;

/// <summary>
/// What the AuthBridge hands out (the XMPP domain, the WebSocket URL, how passwords are derived) and how much its public
/// endpoints take from one client address.
/// </summary>
internal sealed class AuthBridgeOptions : IValidatableObject
{
    public const string SectionName = "AuthBridge";

    /// <summary>Secret HMAC key for <see cref="Accounts.PasswordDeriver"/>; at least 32 characters, never defaulted.</summary>
    [Required, MinLength(32)]
    public string PasswordKey { get; set; } = "";

    /// <summary>Bumping it rotates every user's XMPP password at their next session.</summary>
    [Range(1, int.MaxValue)]
    public int PasswordEpoch { get; set; } = 1;

    /// <summary>The URL apps connect to, e.g. <c>ws://localhost:8080/xmpp-websocket</c>.</summary>
    [Required]
    public string WebSocketUrl { get; set; } = "";

    /// <summary>The VirtualHost every Prosody node serves; also the <c>host</c> column of Prosody's table.</summary>
    [Required, RegularExpression(@"^(?=.{1,253}\z)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\z",
        ErrorMessage = "AuthBridge:XmppDomain must be a lowercase DNS name.")]
    public string XmppDomain { get; set; } = "";

    /// <summary>
    /// Requests one client address may make at once to the public endpoints (sessions, erasure, push registrations, dev
    /// tokens) before it is held to <see cref="RequestsPerSecondPerAddress"/>; beyond both, 429 with Retry-After. An app
    /// makes a handful per sign-in; carrier-grade NAT puts many phones behind one address, hence the headroom. IPv6
    /// clients count per /64 (one host usually has a whole /64).
    /// </summary>
    [Range(1, 1_000_000)]
    public int RequestBurstPerAddress { get; set; } = 30;

    /// <summary>Requests per second one client address is given back after its burst (a token bucket: see <see cref="RequestBurstPerAddress"/>).</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerSecondPerAddress { get; set; } = 10;

    /// <summary>
    /// Addresses or CIDRs of proxies in front of the AuthBridge (CDN, load balancer) whose X-Forwarded-For is believed
    /// as the client address; none by default, so the connection's address counts.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(PasswordKey))
        {
            yield return new ValidationResult("AuthBridge:PasswordKey must not be blank.", [nameof(PasswordKey)]);
        }
        if (!Uri.TryCreate(WebSocketUrl, UriKind.Absolute, out var url) || url.Scheme is not ("ws" or "wss"))
        {
            yield return new ValidationResult("AuthBridge:WebSocketUrl must be an absolute ws:// or wss:// URL.", [nameof(WebSocketUrl)]);
        }
        foreach (var proxy in TrustedProxies.Where(p => !Microsoft.Extensions.Hosting.TrustedProxies.TryParse(p, out _)))
        {
            yield return new ValidationResult($"AuthBridge:TrustedProxies: '{proxy}' is not an IP address or a CIDR such as 10.0.0.0/8.", [nameof(TrustedProxies)]);
        }
    }
}
