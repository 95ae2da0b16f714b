using System.Diagnostics;
using System.Xml.Linq;
using CommEazy.Push;
using CommEazy.PushGateway.Providers;
using CommEazy.PushGateway.Registrations;
using Microsoft.Extensions.Options;

namespace CommEazy.PushGateway.Component;

/// <summary>How the component answered one IQ: the error (none for a result) and a low-cardinality reason.</summary>
internal sealed record IqAnswer(StanzaError? Error, string Reason, object[]? Content = null)
{
    public string Reply => Error?.Type ?? "result";

    public static IqAnswer Ok(string reason, params object[] content) => new(null, reason, content);

    public static IqAnswer Fail(StanzaError error, string reason) => new(error, reason);
}

/// <summary>
/// Answers the IQs Prosody sends the component: XEP-0357 publishes (success only once APNs/FCM accepted the push),
/// plus ping and disco#info. Errors follow what mod_cloud_notify does with them: <c>wait</c> for anything
/// transient (not counted toward <c>push_max_errors</c>), <c>cancel</c> for a token the provider rejected (the
/// registration is removed) or an unknown node, <c>auth</c> for a wrong secret.
/// </summary>
internal sealed class PublishHandler(
    IPushRegistrationStore registrations,
    PushProviderRouter providers,
    IOptions<ComponentOptions> options,
    PushGatewayMetrics metrics,
    TimeProvider time,
    ILogger<PublishHandler> logger)
{
    private readonly ComponentOptions _options = options.Value;

    /// <summary>Answers one IQ of type get or set; <paramref name="link"/> names the Prosody node it came from.</summary>
    public async Task<XElement> HandleAsync(XElement iq, string link, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        using var activity = PushGatewayMetrics.ActivitySource.StartActivity("push publish", ActivityKind.Server);
        activity?.SetTag(PushGatewayMetrics.NodeAttribute, link);
        IqAnswer answer;
        try
        {
            answer = await AnswerAsync(iq, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistrationStoreUnavailableException e)
        {
            Log.RegistrationStoreUnavailable(logger, e.InnerException?.GetType().Name ?? "unknown");
            answer = IqAnswer.Fail(StanzaError.Wait("internal-server-error", "push registrations unavailable; try later"), "store_unavailable");
        }
        activity?.SetTag(PushGatewayMetrics.ReplyAttribute, answer.Reply);
        activity?.SetTag(PushGatewayMetrics.ReasonAttribute, answer.Reason);
        if (answer.Error is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, answer.Reason);
        }
        metrics.IqAnswered(link, answer.Reply, answer.Reason, time.GetElapsedTime(started));
        Log.IqAnswered(logger, link, answer.Reply, answer.Reason);
        return answer.Error is { } error ? Stanza.Error(iq, _options.Jid, error) : Stanza.Result(iq, _options.Jid, answer.Content ?? []);
    }

    private async Task<IqAnswer> AnswerAsync(XElement iq, CancellationToken cancellationToken)
    {
        // Only the XMPP service itself publishes (mod_cloud_notify sends from the host); Prosody's
        // mod_commeazy_push_guard already keeps users away from the component, this is the second fence.
        if (iq.Attr("from") != _options.XmppDomain)
        {
            return IqAnswer.Fail(StanzaError.Cancel("forbidden", "only the XMPP service may use its push app server"), "forbidden");
        }
        var type = iq.Attr("type");
        var payload = iq.Elements().FirstOrDefault(e => e.Name.LocalName != "error");
        if (type == "get" && payload?.Name == Ns.Ping + "ping")
        {
            return IqAnswer.Ok("ping");
        }
        if (type == "get" && payload?.Name == Ns.DiscoInfo + "query")
        {
            return IqAnswer.Ok("disco", new XElement(Ns.DiscoInfo + "query",
                new XElement(Ns.DiscoInfo + "identity", new XAttribute("category", "pubsub"), new XAttribute("type", "push"), new XAttribute("name", "CommEazy push")),
                new XElement(Ns.DiscoInfo + "feature", new XAttribute("var", Ns.Push.NamespaceName)),
                new XElement(Ns.DiscoInfo + "feature", new XAttribute("var", Ns.DiscoInfo.NamespaceName))));
        }
        if (type != "set" || payload?.Name != Ns.PubSub + "pubsub")
        {
            return IqAnswer.Fail(StanzaError.Cancel("service-unavailable", "this component only takes XEP-0357 publishes"), "unsupported");
        }
        if (!PushPublish.TryParse(iq, out var publish, out var error, out var reason))
        {
            return IqAnswer.Fail(error!, reason);
        }
        var registration = await registrations.FindAsync(publish!.Node, cancellationToken).ConfigureAwait(false);
        if (registration is null)
        {
            return IqAnswer.Fail(StanzaError.Cancel("item-not-found", "no such push registration"), "unknown_node");
        }
        if (!PushRegistrationTable.SecretMatches(publish.Secret, registration.SecretSha256))
        {
            return IqAnswer.Fail(StanzaError.Auth("not-authorized", "wrong secret for this push registration"), "bad_secret");
        }
        return await PushAsync(registration, publish.Kind, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IqAnswer> PushAsync(PushRegistration registration, PushKind kind, CancellationToken cancellationToken)
    {
        // A VoIP token is for calls only: iOS ends apps that get a VoIP push and report no call.
        if (registration.Platform == PushPlatform.ApnsVoip && kind == PushKind.MessageWaiting)
        {
            return IqAnswer.Ok("voip_token_not_for_messages");
        }
        // The owner's VoIP token rings the phone for this call; an alert saying the same would be a second notice.
        if (registration.Platform == PushPlatform.Apns && kind == PushKind.IncomingCall && registration.OwnerHasVoipToken)
        {
            return IqAnswer.Ok("call_rings_through_voip");
        }

        var result = await providers.SendAsync(registration.ToRequest(kind), cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case PushOutcome.Delivered:
                await MarkDeliveredAsync(registration, cancellationToken).ConfigureAwait(false);
                return IqAnswer.Ok("delivered");
            case PushOutcome.TokenRejected:
                if (await registrations.RemoveRejectedAsync(registration, result.TokenInvalidSince, cancellationToken).ConfigureAwait(false))
                {
                    metrics.RegistrationRemoved(registration.Platform, "token_rejected");
                    Log.RegistrationRemoved(logger, registration.Platform.ToLabel(), TokenHash.Of(registration.DeviceToken), result.Reason);
                    return IqAnswer.Fail(StanzaError.Cancel("gone", "the push provider rejected the device token; the registration is removed"), "token_rejected");
                }
                // APNs' 410 is older than the registration: the device registered this token again since.
                return IqAnswer.Fail(StanzaError.Wait("resource-constraint", "the push provider rejected a token registered again since; try later"), "token_reregistered");
            case PushOutcome.TemporaryFailure:
                return IqAnswer.Fail(StanzaError.Wait("resource-constraint", "the push provider is temporarily unavailable; try later"),
                    result.Reason == "provider_not_configured" ? "provider_not_configured" : "temporary_failure");
            default:
                return IqAnswer.Fail(StanzaError.Cancel("undefined-condition", "the push provider refused the notification"), "permanent_failure");
        }
    }

    private async Task MarkDeliveredAsync(PushRegistration registration, CancellationToken cancellationToken)
    {
        try
        {
            await registrations.MarkDeliveredAsync(registration, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistrationStoreUnavailableException e)
        {
            // The push went out; a missed "last success" stamp is no reason to tell Prosody otherwise.
            Log.RegistrationStoreUnavailable(logger, e.InnerException?.GetType().Name ?? "unknown");
        }
    }
}
