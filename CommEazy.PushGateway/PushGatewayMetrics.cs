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

    public const string ProviderAttribute = "push.provider";
    public const string PlatformAttribute = "push.platform";
    public const string KindAttribute = "push.kind";
    public const string OutcomeAttribute = "push.outcome";
    public const string MintReasonAttribute = "push.apns.jwt.reason";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _notifications;
    private readonly Histogram<double> _providerDuration;
    private readonly Counter<long> _apnsJwtMinted;
    private readonly Counter<long> _fcmAccessTokens;

    public PushGatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _notifications = meter.CreateCounter<long>(NotificationsInstrument, "{notification}",
            "Pushes handed to a provider, by provider, platform, kind and outcome.");
        _providerDuration = meter.CreateHistogram(ProviderDurationInstrument, "s",
            "Time from handing a push to a provider to its outcome, retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _apnsJwtMinted = meter.CreateCounter<long>(ApnsJwtMintedInstrument, "{token}",
            "APNs provider tokens (ES256 JWTs) minted, by reason: initial, age or expired.");
        _fcmAccessTokens = meter.CreateCounter<long>(FcmAccessTokensInstrument, "{token}",
            "OAuth2 access tokens obtained for FCM from the service account's token endpoint.");
    }

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
