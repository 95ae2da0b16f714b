using System.Diagnostics;
using System.Diagnostics.Metrics;
using CommEazy.PushGateway.Providers;

namespace CommEazy.PushGateway;

/// <summary>
/// The push gateway's meter and activity source, both named <c>CommEazy.PushGateway</c>. Every attribute value
/// is low-cardinality: a provider, platform, kind, outcome or mint reason, never a token or JID.
/// </summary>
internal sealed class PushGatewayMetrics
{
    public const string Name = "CommEazy.PushGateway";

    public const string NotificationsInstrument = "commeazy.push.notifications";
    public const string ProviderDurationInstrument = "commeazy.push.provider.duration";
    public const string ApnsJwtMintedInstrument = "commeazy.push.apns.jwt.minted";
    public const string FcmAccessTokensInstrument = "commeazy.push.fcm.access_token.fetched";
    public const string PublishesInstrument = "commeazy.push.publishes";
    public const string PublishDurationInstrument = "commeazy.push.publish.duration";
    public const string RegistrationsRemovedInstrument = "commeazy.push.registrations.removed";
    public const string LinkUpInstrument = "commeazy.push.component.link.up";
    public const string LinkLostInstrument = "commeazy.push.component.link.lost";

    public const string ProviderAttribute = "push.provider";
    public const string PlatformAttribute = "push.platform";
    public const string KindAttribute = "push.kind";
    public const string OutcomeAttribute = "push.outcome";
    public const string MintReasonAttribute = "push.apns.jwt.reason";
    public const string ReplyAttribute = "push.reply";
    public const string ReasonAttribute = "push.reason";
    public const string NodeAttribute = "prosody.node";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _notifications;
    private readonly Histogram<double> _providerDuration;
    private readonly Counter<long> _apnsJwtMinted;
    private readonly Counter<long> _fcmAccessTokens;
    private readonly Counter<long> _publishes;
    private readonly Histogram<double> _publishDuration;
    private readonly Counter<long> _registrationsRemoved;
    private readonly Counter<long> _linksLost;
    private readonly Meter _meter;

    public PushGatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(Name);
        _notifications = meter.CreateCounter<long>(NotificationsInstrument, "{notification}",
            "Pushes handed to a provider, by provider, platform, kind and outcome.");
        _providerDuration = meter.CreateHistogram(ProviderDurationInstrument, "s",
            "Time from handing a push to a provider to its outcome, retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _apnsJwtMinted = meter.CreateCounter<long>(ApnsJwtMintedInstrument, "{token}",
            "APNs provider tokens (ES256 JWTs) minted, by reason: initial, age or expired.");
        _fcmAccessTokens = meter.CreateCounter<long>(FcmAccessTokensInstrument, "{token}",
            "OAuth2 access tokens obtained for FCM from the service account's token endpoint.");
        _publishes = meter.CreateCounter<long>(PublishesInstrument, "{iq}",
            "IQs from Prosody answered, by node, reply (result, wait, cancel, auth, modify) and reason.");
        _publishDuration = meter.CreateHistogram(PublishDurationInstrument, "s",
            "Time from a publish IQ arriving to its answer, provider call included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _registrationsRemoved = meter.CreateCounter<long>(RegistrationsRemovedInstrument, "{registration}",
            "Registrations removed because the provider rejected their token, by platform.");
        _linksLost = meter.CreateCounter<long>(LinkLostInstrument, "{event}", "XEP-0114 links to a Prosody node that dropped, by node.");
    }

    /// <summary>Reports 1 per linked node and 0 per node being (re)connected, labelled by node.</summary>
    public void ObserveLinks(Func<IEnumerable<(string Node, bool Up)>> links) =>
        _meter.CreateObservableGauge(LinkUpInstrument, () => links().Select(l => new Measurement<int>(l.Up ? 1 : 0, new KeyValuePair<string, object?>(NodeAttribute, l.Node))),
            "{link}", "Whether the XEP-0114 link to a Prosody node is up (1) or not (0).");

    public void IqAnswered(string node, string reply, string reason, TimeSpan elapsed)
    {
        var tags = new TagList { { NodeAttribute, node }, { ReplyAttribute, reply }, { ReasonAttribute, reason } };
        _publishes.Add(1, tags);
        _publishDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(ReplyAttribute, reply));
    }

    public void RegistrationRemoved(PushPlatform platform, string reason) =>
        _registrationsRemoved.Add(1, new KeyValuePair<string, object?>(PlatformAttribute, platform.ToLabel()), new KeyValuePair<string, object?>(ReasonAttribute, reason));

    public void LinkLost(string node) => _linksLost.Add(1, new KeyValuePair<string, object?>(NodeAttribute, node));

    public void PushCompleted(string provider, PushRequest request, PushOutcome outcome, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { ProviderAttribute, provider },
            { PlatformAttribute, request.Platform.ToLabel() },
            { KindAttribute, request.Kind.ToLabel() },
            { OutcomeAttribute, outcome.ToLabel() },
        };
        _notifications.Add(1, tags);
        _providerDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>(ProviderAttribute, provider),
            new KeyValuePair<string, object?>(OutcomeAttribute, outcome.ToLabel()));
    }

    public void ApnsJwtMinted(string reason) => _apnsJwtMinted.Add(1, new KeyValuePair<string, object?>(MintReasonAttribute, reason));

    public void FcmAccessTokenFetched() => _fcmAccessTokens.Add(1);
}
