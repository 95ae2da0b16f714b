using System.Xml.Linq;
using CommEazy.Push;
using CommEazy.PushGateway.Providers;

namespace CommEazy.PushGateway.Component;

/// <summary>
/// One XEP-0357 publish as Prosody 13's mod_cloud_notify sends it:
/// <code>
/// &lt;iq type='set' from='commeazy.local' to='push.commeazy.local' id='…'&gt;
///   &lt;pubsub xmlns='http://jabber.org/protocol/pubsub'&gt;
///     &lt;publish node='NODE'&gt;&lt;item&gt;&lt;notification xmlns='urn:xmpp:push:0'&gt;
///       &lt;x xmlns='jabber:x:data' type='submit'&gt;… FORM_TYPE urn:xmpp:push:summary, message-count …&lt;/x&gt;
///       &lt;kind xmlns='urn:commeazy:push:0'&gt;message|call&lt;/kind&gt;   (added by mod_commeazy_push)
///     &lt;/notification&gt;&lt;/item&gt;&lt;/publish&gt;
///     &lt;publish-options&gt;&lt;x xmlns='jabber:x:data' type='submit'&gt;
///       FORM_TYPE http://jabber.org/protocol/pubsub#publish-options, secret SECRET&lt;/x&gt;&lt;/publish-options&gt;
///   &lt;/pubsub&gt;&lt;/iq&gt;
/// </code>
/// The summary form is ignored: with <c>push_notification_with_body/sender = false</c> it holds nothing we may use.
/// </summary>
/// <param name="Node">The registration's node.</param>
/// <param name="Secret">The registration's secret (from the publish options).</param>
/// <param name="Kind">What waits: a message, or a XEP-0353 call proposal.</param>
internal sealed record PushPublish(string Node, string Secret, PushKind Kind)
{
    /// <summary>Longest node or secret looked at; anything longer is a malformed request, not an unknown node.</summary>
    public const int MaxFieldLength = 256;

    /// <summary>Reads a publish; on failure <paramref name="error"/> says what to answer and <paramref name="reason"/> the metric label.</summary>
    public static bool TryParse(XElement iq, out PushPublish? publish, out StanzaError? error, out string reason)
    {
        publish = null;
        var pubsub = iq.Elements(Ns.PubSub + "pubsub").SingleOrDefault();
        var publishElement = pubsub?.Elements(Ns.PubSub + "publish").SingleOrDefault();
        if (publishElement is null)
        {
            return Fail(StanzaError.Modify("bad-request", "a push publish needs one pubsub element with one publish"), "malformed", out error, out reason);
        }
        var node = publishElement.Attr("node");
        if (string.IsNullOrEmpty(node))
        {
            return Fail(StanzaError.Modify("bad-request", "the publish has no node"), "malformed", out error, out reason);
        }
        if (node.Length > MaxFieldLength)
        {
            return Fail(StanzaError.Modify("bad-request", "the node is too long"), "oversized", out error, out reason);
        }
        var notification = publishElement.Elements(Ns.PubSub + "item").SingleOrDefault()?.Elements(Ns.Push + "notification").SingleOrDefault();
        if (notification is null)
        {
            return Fail(StanzaError.Modify("bad-request", "the publish needs one item with a urn:xmpp:push:0 notification"), "malformed", out error, out reason);
        }
        var options = pubsub!.Elements(Ns.PubSub + "publish-options").SingleOrDefault()?.Elements(Ns.DataForms + "x").SingleOrDefault();
        if (options is not null && FieldValue(options, "FORM_TYPE") is { } formType && formType != Ns.PublishOptionsFormType)
        {
            return Fail(StanzaError.Modify("bad-request", "the publish options are not a pubsub#publish-options form"), "malformed", out error, out reason);
        }
        var secret = options is null ? null : FieldValue(options, "secret");
        if (string.IsNullOrEmpty(secret))
        {
            return Fail(StanzaError.Auth("not-authorized", "the publish options carry no secret"), "no_secret", out error, out reason);
        }
        if (secret.Length > MaxFieldLength)
        {
            return Fail(StanzaError.Modify("bad-request", "the secret is too long"), "oversized", out error, out reason);
        }
        if (!PushRegistrationTable.IsNode(node))
        {
            return Fail(StanzaError.Cancel("item-not-found", "no such push registration"), "unknown_node", out error, out reason);
        }
        var kind = notification.Element(Ns.CommEazyPush + "kind")?.Value == "call" ? PushKind.IncomingCall : PushKind.MessageWaiting;
        publish = new PushPublish(node, secret, kind);
        error = null;
        reason = "";
        return true;
    }

    /// <summary>The single value of a data form field; <see langword="null"/> when absent or ambiguous.</summary>
    private static string? FieldValue(XElement form, string var)
    {
        var fields = form.Elements(Ns.DataForms + "field").Where(f => f.Attr("var") == var).ToList();
        if (fields.Count != 1)
        {
            return null;
        }
        var values = fields[0].Elements(Ns.DataForms + "value").ToList();
        return values.Count == 1 ? values[0].Value : null;
    }

    private static bool Fail(StanzaError stanzaError, string label, out StanzaError? error, out string reason)
    {
        error = stanzaError;
        reason = label;
        return false;
    }

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"PushPublish {{ Kind = {Kind.ToLabel()} }}";
}
