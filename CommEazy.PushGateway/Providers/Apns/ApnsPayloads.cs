using System.Text;

namespace CommEazy.PushGateway.Providers.Apns;

/// <summary>One kind of APNs push: headers and a constant body.</summary>
/// <param name="PushType"><c>apns-push-type</c>.</param>
/// <param name="Priority"><c>apns-priority</c>.</param>
/// <param name="CollapseId"><c>apns-collapse-id</c>: one per kind, so a device shows one pending notice, not a pile.</param>
/// <param name="IsCall">Expires after <see cref="ApnsOptions.CallTimeToLive"/> rather than <see cref="ApnsOptions.MessageTimeToLive"/>.</param>
/// <param name="Body">The JSON payload, identical for every push of this kind.</param>
internal sealed record ApnsPush(string PushType, int Priority, string CollapseId, bool IsCall, byte[] Body);

/// <summary>
/// The APNs payloads. They are constants: a push says only <em>that</em> something waits, never what or from whom
/// (no body, sender, JID or message id exists to put in them).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Message waiting (alert): <c>{"aps":{"alert":{"loc-key":"NEW_MESSAGE"},"sound":"default"},"kind":"message"}</c>.
/// The app localises <c>NEW_MESSAGE</c>. No <c>mutable-content</c>: the server stores no message a notification
/// service extension could fetch; the app gets messages by connecting.</item>
/// <item>Incoming call, alert token: <c>{"aps":{"alert":{"loc-key":"INCOMING_CALL"},"sound":"default","interruption-level":"time-sensitive"},"kind":"call"}</c>.</item>
/// <item>Incoming call, VoIP token: <c>{"kind":"call"}</c> with <c>apns-push-type: voip</c>, topic <c>&lt;bundle&gt;.voip</c>,
/// priority 10; the app reports the call to CallKit and connects to fetch the XEP-0353 proposal.</item>
/// <item>A VoIP token never gets a "message waiting" push: iOS terminates apps that receive a VoIP push and report no call.</item>
/// </list>
/// </remarks>
internal static class ApnsPayloads
{
    public const string MessageCollapseId = "message-waiting";
    public const string CallCollapseId = "incoming-call";

    public static readonly ApnsPush MessageAlert = new("alert", 10, MessageCollapseId, IsCall: false,
        Encoding.UTF8.GetBytes("""{"aps":{"alert":{"loc-key":"NEW_MESSAGE"},"sound":"default"},"kind":"message"}"""));

    public static readonly ApnsPush CallAlert = new("alert", 10, CallCollapseId, IsCall: true,
        Encoding.UTF8.GetBytes("""{"aps":{"alert":{"loc-key":"INCOMING_CALL"},"sound":"default","interruption-level":"time-sensitive"},"kind":"call"}"""));

    public static readonly ApnsPush CallVoip = new("voip", 10, CallCollapseId, IsCall: true,
        Encoding.UTF8.GetBytes("""{"kind":"call"}"""));

    /// <summary>The push for a platform and kind, or <see langword="null"/> when that combination is not sent.</summary>
    public static ApnsPush? For(PushPlatform platform, PushKind kind) => (platform, kind) switch
    {
        (PushPlatform.Apns, PushKind.MessageWaiting) => MessageAlert,
        (PushPlatform.Apns, PushKind.IncomingCall) => CallAlert,
        (PushPlatform.ApnsVoip, PushKind.IncomingCall) => CallVoip,
        _ => null,
    };
}
