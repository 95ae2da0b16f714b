namespace CommEazy.PushGateway.Providers;

/// <summary>The outcome of one push and what the caller needs to act on it.</summary>
/// <param name="Outcome">Delivered, token rejected, temporary or permanent failure.</param>
/// <param name="Reason">
/// The provider's reason (APNs <c>reason</c>, FCM <c>errorCode</c>) or one of ours (<c>ok</c>, <c>timeout</c>,
/// <c>connection_failed</c>, <c>malformed_token</c>, <c>unsupported</c>, <c>credential_unavailable</c>,
/// <c>provider_not_configured</c>). Never contains the token.
/// </param>
/// <param name="StatusCode">The provider's HTTP status of the last attempt, when there was an answer.</param>
/// <param name="RetryAfter">How long the provider asked us to wait (its <c>Retry-After</c>), when it said so.</param>
/// <param name="TokenInvalidSince">
/// APNs 410: when Apple last knew the token to be invalid. A registration made after this instant is newer
/// than the rejection and must be kept.
/// </param>
public sealed record PushResult(
    PushOutcome Outcome,
    string Reason,
    int? StatusCode = null,
    TimeSpan? RetryAfter = null,
    DateTimeOffset? TokenInvalidSince = null)
{
    public static PushResult Delivered(int statusCode = 200) => new(PushOutcome.Delivered, "ok", statusCode);

    public static PushResult Temporary(string reason, int? statusCode = null, TimeSpan? retryAfter = null) =>
        new(PushOutcome.TemporaryFailure, reason, statusCode, retryAfter);
}
