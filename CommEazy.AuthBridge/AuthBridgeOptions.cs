using System.ComponentModel.DataAnnotations;

namespace CommEazy.AuthBridge;

/// <summary>What the AuthBridge hands out: the XMPP domain, the WebSocket URL, and how passwords are derived.</summary>
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
    }
}
