using CommEazy.PushGateway.Providers;

namespace CommEazy.PushGateway;

/// <summary>
/// The push gateway's log events (3xxx). Never a device token, JID, body or secret in a message: a device token
/// appears only as <c>{TokenHash}</c>, the first 8 hex characters of its SHA-256 (<see cref="TokenHash"/>).
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Push providers enabled: {Providers}")]
    public static partial void PushProvidersEnabled(ILogger logger, string providers);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "No push provider is configured (neither Push:Apns nor Push:Fcm): every push is answered as a temporary failure")]
    public static partial void NoPushProviders(ILogger logger);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "No push provider is configured for platform {Platform}")]
    public static partial void ProviderNotConfigured(ILogger logger, string platform);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "{Provider} delivered a {Kind} push to {TokenHash} in {ElapsedMs} ms")]
    public static partial void PushDelivered(ILogger logger, string provider, string kind, string tokenHash, double elapsedMs);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "{Provider} rejected device token {TokenHash}: {StatusCode} {Reason}")]
    public static partial void PushTokenRejected(ILogger logger, string provider, string tokenHash, int? statusCode, string reason);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning,
        Message = "{Provider} push to {TokenHash} failed temporarily: {StatusCode} {Reason}; retry after {RetryAfter}")]
    public static partial void PushTemporaryFailure(ILogger logger, string provider, string tokenHash, int? statusCode, string reason, TimeSpan? retryAfter);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Error,
        Message = "{Provider} push to {TokenHash} failed permanently: {StatusCode} {Reason} is not in the provider's outcome table")]
    public static partial void PushPermanentFailure(ILogger logger, string provider, string tokenHash, int? statusCode, string reason);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Error, Message = "{Provider} cannot send a {Kind} push to platform {Platform}: {Reason}")]
    public static partial void PushUnsupported(ILogger logger, string provider, string kind, string platform, string reason);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Warning, Message = "{Provider} refused device token {TokenHash} before sending: {Reason}")]
    public static partial void PushTokenMalformed(ILogger logger, string provider, string tokenHash, string reason);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Minted an APNs provider token for key {KeyId} ({Reason})")]
    public static partial void ApnsProviderTokenMinted(ILogger logger, string keyId, string reason);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning,
        Message = "APNs answered ExpiredProviderToken for a provider token issued at {IssuedAt:O}; minting a new one and retrying once")]
    public static partial void ApnsProviderTokenExpired(ILogger logger, DateTimeOffset issuedAt);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Information, Message = "Obtained an FCM access token for project {ProjectId}")]
    public static partial void FcmAccessTokenFetched(ILogger logger, string projectId);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Error, Message = "Could not obtain an FCM access token for project {ProjectId}")]
    public static partial void FcmAccessTokenFailed(ILogger logger, string projectId, Exception exception);

    [LoggerMessage(EventId = 3040, Level = LogLevel.Information, Message = "Linked to Prosody node {Node} as component {Jid}")]
    public static partial void LinkUp(ILogger logger, string node, string jid);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Warning, Message = "Link to Prosody node {Node} lost: {Reason}; reconnecting")]
    public static partial void LinkLost(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 3042, Level = LogLevel.Warning, Message = "Could not link to Prosody node {Node}: {Reason}; next attempt in {Delay}")]
    public static partial void LinkConnectFailed(ILogger logger, string node, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 3043, Level = LogLevel.Information, Message = "Link to Prosody node {Node} closed (shutting down)")]
    public static partial void LinkClosed(ILogger logger, string node);

    [LoggerMessage(EventId = 3044, Level = LogLevel.Warning, Message = "Prosody node {Node} broke the stream ({Condition}): {Reason}")]
    public static partial void LinkProtocolError(ILogger logger, string node, string condition, string reason);

    [LoggerMessage(EventId = 3045, Level = LogLevel.Warning, Message = "Shutting down with {Count} publishes from {Node} still unanswered")]
    public static partial void DrainTimedOut(ILogger logger, string node, int count);

    [LoggerMessage(EventId = 3046, Level = LogLevel.Debug, Message = "Ignored a {Stanza} from Prosody node {Node}")]
    public static partial void StanzaIgnored(ILogger logger, string node, string stanza);

    [LoggerMessage(EventId = 3047, Level = LogLevel.Debug, Message = "The link to {Node} dropped before an answer could be sent")]
    public static partial void ReplyLost(ILogger logger, string node);

    [LoggerMessage(EventId = 3050, Level = LogLevel.Debug, Message = "Answered an IQ from {Node}: {Reply} ({Reason})")]
    public static partial void IqAnswered(ILogger logger, string node, string reply, string reason);

    [LoggerMessage(EventId = 3051, Level = LogLevel.Error, Message = "Handling an IQ from {Node} failed")]
    public static partial void PublishFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(EventId = 3052, Level = LogLevel.Warning, Message = "Push registrations unavailable ({ErrorType}); answering wait")]
    public static partial void RegistrationStoreUnavailable(ILogger logger, string errorType);

    [LoggerMessage(EventId = 3053, Level = LogLevel.Information, Message = "Removed the {Platform} registration of token {TokenHash}: the provider rejected it ({Reason})")]
    public static partial void RegistrationRemoved(ILogger logger, string platform, string tokenHash, string reason);
}
