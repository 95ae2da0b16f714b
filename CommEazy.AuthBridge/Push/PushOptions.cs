using System.ComponentModel.DataAnnotations;

namespace CommEazy.AuthBridge.Push;

/// <summary>What the AuthBridge tells an app about push (<c>Push</c>): the app server's component JID and the per-user limit.</summary>
internal sealed class PushOptions
{
    public const string SectionName = "Push";

    /// <summary>
    /// The XEP-0114 component JID of the PushGateway, the same on every Prosody node (e.g. <c>push.commeazy.local</c>):
    /// the <c>jid</c> an app puts into its XEP-0357 <c>&lt;enable/&gt;</c>.
    /// </summary>
    [Required, RegularExpression(@"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
        ErrorMessage = "Push:ComponentJid must be a lowercase DNS name.")]
    public string ComponentJid { get; set; } = "";

    /// <summary>Registrations kept per user; registering one more drops the oldest (as mod_cloud_notify's <c>push_max_devices</c> does).</summary>
    [Range(1, 50)]
    public int MaxRegistrationsPerUser { get; set; } = 10;
}
