namespace CommEazy.Tests.Fakes.Apns;

/// <summary>What the fake APNs answers to one push for a token: a status, APNs' reason, and optional extras.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Reason">APNs' <c>reason</c> in the JSON body (none for 200).</param>
/// <param name="Timestamp">410 only: since when the token is invalid (sent as milliseconds since the epoch).</param>
/// <param name="RetryAfter">Sent as a <c>Retry-After</c> header in whole seconds.</param>
/// <param name="Delay">How long the fake waits before answering.</param>
internal sealed record ApnsFakeReply(int Status, string? Reason = null, DateTimeOffset? Timestamp = null, TimeSpan? RetryAfter = null, TimeSpan Delay = default)
{
    public static ApnsFakeReply Ok { get; } = new(200);

    public static ApnsFakeReply BadDeviceToken { get; } = new(400, "BadDeviceToken");

    public static ApnsFakeReply ExpiredProviderToken { get; } = new(403, "ExpiredProviderToken");

    public static ApnsFakeReply InternalServerError { get; } = new(500, "InternalServerError");

    public static ApnsFakeReply Unregistered(DateTimeOffset since) => new(410, "Unregistered", since);

    public static ApnsFakeReply TooManyRequests(TimeSpan? retryAfter = null) => new(429, "TooManyRequests", RetryAfter: retryAfter);

    public static ApnsFakeReply ServiceUnavailable(TimeSpan? retryAfter = null) => new(503, "ServiceUnavailable", RetryAfter: retryAfter);

    public static ApnsFakeReply Slow(TimeSpan delay) => new(200, Delay: delay);
}

/// <summary>One request the fake APNs received and checked, whatever it answered.</summary>
internal sealed record ApnsRecordedPush(
    string DeviceToken,
    string Protocol,
    string PushType,
    string Topic,
    string Priority,
    long Expiration,
    string? CollapseId,
    string ProviderToken,
    DateTimeOffset ProviderTokenIssuedAt,
    byte[] Body,
    int AnsweredStatus,
    DateTimeOffset ReceivedAt);
