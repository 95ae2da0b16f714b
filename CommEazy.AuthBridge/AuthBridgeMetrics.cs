using System.Diagnostics;
using System.Diagnostics.Metrics;
using CommEazy.AuthBridge.Firebase;

namespace CommEazy.AuthBridge;

/// <summary>The AuthBridge's meter and activity source, both named <c>CommEazy.AuthBridge</c>.</summary>
internal sealed class AuthBridgeMetrics
{
    public const string Name = "CommEazy.AuthBridge";
    public const string OutcomeAttribute = "auth.outcome";
    public const string RouteAttribute = "http.route";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _sessions;
    private readonly Counter<long> _erasures;
    private readonly Counter<long> _pushRegistrations;
    private readonly Counter<long> _rateLimited;

    public AuthBridgeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _sessions = meter.CreateCounter<long>("commeazy.auth.sessions", "{session}",
            "Session requests by outcome: issued, or why they were refused.");
        _erasures = meter.CreateCounter<long>("commeazy.auth.erasures", "{account}",
            "Account erasure requests by outcome: erased, or why they were refused.");
        _pushRegistrations = meter.CreateCounter<long>("commeazy.auth.push_registrations", "{request}",
            "Push registration requests by outcome: created, replaced, deleted, or why they were refused.");
        _rateLimited = meter.CreateCounter<long>("commeazy.auth.rate_limited", "{request}",
            "Requests refused with 429 because their client address was over its rate limit, by route.");
    }

    public void SessionIssued() => _sessions.Add(1, Outcome("issued"));

    public void SessionRefused(TokenRejection rejection) => _sessions.Add(1, Outcome(rejection.MetricLabel()));

    public void SessionUnavailable() => _sessions.Add(1, Outcome("database_unavailable"));

    public void AccountErased() => _erasures.Add(1, Outcome("erased"));

    public void ErasureRefused(TokenRejection rejection) => _erasures.Add(1, Outcome(rejection.MetricLabel()));

    public void ErasureUnavailable() => _erasures.Add(1, Outcome("database_unavailable"));

    /// <summary>One push registration request; <paramref name="outcome"/> is a fixed snake-case label.</summary>
    public void PushRegistration(string outcome) => _pushRegistrations.Add(1, Outcome(outcome));

    /// <summary>One request refused by the per-address rate limit; <paramref name="route"/> is the endpoint's route template.</summary>
    public void RateLimited(string route) => _rateLimited.Add(1, new KeyValuePair<string, object?>(RouteAttribute, route));

    private static KeyValuePair<string, object?> Outcome(string value) => new(OutcomeAttribute, value);
}
