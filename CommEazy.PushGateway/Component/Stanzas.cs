using System.Xml.Linq;

namespace CommEazy.PushGateway.Component;

/// <summary>The XML namespaces the component speaks.</summary>
internal static class Ns
{
    public static readonly XNamespace Component = "jabber:component:accept";
    public static readonly XNamespace Streams = XmppStreamReader.StreamsNamespace;
    public static readonly XNamespace StreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
    public static readonly XNamespace StanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas";
    public static readonly XNamespace PubSub = "http://jabber.org/protocol/pubsub";
    public static readonly XNamespace DataForms = "jabber:x:data";
    public static readonly XNamespace Push = "urn:xmpp:push:0";
    public static readonly XNamespace Ping = "urn:xmpp:ping";
    public static readonly XNamespace DiscoInfo = "http://jabber.org/protocol/disco#info";

    /// <summary>What our Prosody module (<c>mod_commeazy_push</c>) adds to a notification: <c>&lt;kind&gt;call&lt;/kind&gt;</c>.</summary>
    public static readonly XNamespace CommEazyPush = "urn:commeazy:push:0";

    public const string PublishOptionsFormType = "http://jabber.org/protocol/pubsub#publish-options";
}

/// <summary>
/// An XMPP stanza error (RFC 6120 §8.3) as mod_cloud_notify reads it: only <see cref="Type"/> matters to it —
/// <c>wait</c> is not counted toward <c>push_max_errors</c>, every other type is.
/// </summary>
/// <param name="Type"><c>wait</c>, <c>cancel</c>, <c>auth</c> or <c>modify</c>.</param>
/// <param name="Condition">The defined condition, e.g. <c>item-not-found</c>.</param>
/// <param name="Text">A short human-readable reason; never a token, secret or JID.</param>
internal sealed record StanzaError(string Type, string Condition, string Text)
{
    public static StanzaError Wait(string condition, string text) => new("wait", condition, text);

    public static StanzaError Cancel(string condition, string text) => new("cancel", condition, text);

    public static StanzaError Auth(string condition, string text) => new("auth", condition, text);

    public static StanzaError Modify(string condition, string text) => new("modify", condition, text);
}

/// <summary>Builds the component's outgoing stanzas.</summary>
internal static class Stanza
{
    public static string? Attr(this XElement element, string name) => element.Attribute(name)?.Value;

    /// <summary>An <c>iq type='result'</c> for <paramref name="request"/>, from the component.</summary>
    public static XElement Result(XElement request, string from, params object[] content) =>
        new(Ns.Component + "iq", new XAttribute("type", "result"), Addressing(request, from), content);

    /// <summary>An error reply to <paramref name="request"/> (RFC 6120 §8.3.2: the error child carries type and condition).</summary>
    public static XElement Error(XElement request, string from, StanzaError error) =>
        new(Ns.Component + request.Name.LocalName,
            new XAttribute("type", "error"),
            Addressing(request, from),
            new XElement(Ns.Component + "error", new XAttribute("type", error.Type),
                new XElement(Ns.StanzaErrors + error.Condition),
                new XElement(Ns.StanzaErrors + "text", error.Text)));

    private static IEnumerable<XAttribute> Addressing(XElement request, string from)
    {
        if (request.Attr("id") is { } id)
        {
            yield return new XAttribute("id", id);
        }
        yield return new XAttribute("from", from);
        if (request.Attr("from") is { } to)
        {
            yield return new XAttribute("to", to);
        }
    }
}
