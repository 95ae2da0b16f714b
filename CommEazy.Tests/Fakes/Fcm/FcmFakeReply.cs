namespace CommEazy.Tests.Fakes.Fcm;

/// <summary>What the fake FCM answers to one send for a token, in FCM v1's error shape.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="GrpcStatus">The error's <c>status</c>, e.g. <c>NOT_FOUND</c>.</param>
/// <param name="ErrorCode">The <c>FcmError</c> detail's <c>errorCode</c>, e.g. <c>UNREGISTERED</c>.</param>
/// <param name="TokenFieldViolation">Adds a <c>google.rpc.BadRequest</c> detail naming <c>message.token</c>.</param>
/// <param name="RetryAfter">Sent as a <c>Retry-After</c> header in whole seconds.</param>
/// <param name="Delay">How long the fake waits before answering.</param>
internal sealed record FcmFakeReply(int Status, string? GrpcStatus = null, string? ErrorCode = null, bool TokenFieldViolation = false, TimeSpan? RetryAfter = null, TimeSpan Delay = default)
{
    public static FcmFakeReply Ok { get; } = new(200);

    public static FcmFakeReply Unregistered { get; } = new(404, "NOT_FOUND", "UNREGISTERED");

    public static FcmFakeReply InvalidToken { get; } = new(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", TokenFieldViolation: true);

    public static FcmFakeReply Unavailable { get; } = new(503, "UNAVAILABLE", "UNAVAILABLE");

    public static FcmFakeReply Internal { get; } = new(500, "INTERNAL", "INTERNAL");

    public static FcmFakeReply QuotaExceeded(TimeSpan? retryAfter = null) => new(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", RetryAfter: retryAfter);

    public static FcmFakeReply Slow(TimeSpan delay) => new(200, Delay: delay);
}

/// <summary>One <c>messages:send</c> the fake FCM received and checked, whatever it answered.</summary>
internal sealed record FcmRecordedMessage(string DeviceToken, string Protocol, string AccessToken, string Body, int AnsweredStatus, DateTimeOffset ReceivedAt);
