using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace CommEazy.PushGateway.Providers.Fcm;

/// <summary>
/// The FCM v1 <c>messages:send</c> body: a data-only, high-priority Android message that says only what kind of
/// event waits. <c>{"message":{"token":"…","data":{"kind":"message"},"android":{"priority":"HIGH","ttl":"86400s","collapse_key":"message-waiting"}}}</c>;
/// calls carry <c>"kind":"call"</c>, the call TTL and <c>collapse_key</c> <c>incoming-call</c>. Data-only, so the
/// app (not the system tray) decides what to show; no notification block, no body, sender, JID or message id.
/// </summary>
internal static class FcmMessages
{
    public const string MessageCollapseKey = "message-waiting";
    public const string CallCollapseKey = "incoming-call";

    public static byte[] Build(string deviceToken, PushKind kind, TimeSpan timeToLive)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("message");
            json.WriteString("token", deviceToken);
            json.WriteStartObject("data");
            json.WriteString("kind", kind.ToLabel());
            json.WriteEndObject();
            json.WriteStartObject("android");
            json.WriteString("priority", "HIGH");
            json.WriteString("ttl", ((long)timeToLive.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s");
            json.WriteString("collapse_key", kind == PushKind.IncomingCall ? CallCollapseKey : MessageCollapseKey);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
