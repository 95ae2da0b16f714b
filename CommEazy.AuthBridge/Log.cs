namespace CommEazy.AuthBridge;

/// <summary>
/// Every log line of the AuthBridge (EventIds 2000–2999). Never a token, password, key or JID: requests are
/// correlated by <c>TokenHash</c>, the first 8 hex characters of the token's SHA-256.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, EventName = "SessionIssued", Level = LogLevel.Debug,
        Message = "Session issued for token {TokenHash}")]
    public static partial void SessionIssued(ILogger logger, string tokenHash);

    [LoggerMessage(EventId = 2001, EventName = "AccountProvisioned", Level = LogLevel.Information,
        Message = "Account provisioned ({Outcome}) for token {TokenHash}")]
    public static partial void AccountProvisioned(ILogger logger, string outcome, string tokenHash);

    [LoggerMessage(EventId = 2002, EventName = "AccountErased", Level = LogLevel.Information,
        Message = "Account erased for token {TokenHash}: {RowCount} rows deleted")]
    public static partial void AccountErased(ILogger logger, string tokenHash, int rowCount);

    [LoggerMessage(EventId = 2003, EventName = "TokenRejected", Level = LogLevel.Debug,
        Message = "Token {TokenHash} rejected: {Reason}")]
    public static partial void TokenRejected(ILogger logger, string tokenHash, string reason);

    [LoggerMessage(EventId = 2004, EventName = "DatabaseUnavailable", Level = LogLevel.Warning,
        Message = "Account database unavailable; answering 503")]
    public static partial void DatabaseUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2010, EventName = "SigningKeysRefreshed", Level = LogLevel.Information,
        Message = "Fetched {KeyCount} Firebase signing keys, cached for {MaxAge}")]
    public static partial void SigningKeysRefreshed(ILogger logger, int keyCount, TimeSpan maxAge);

    [LoggerMessage(EventId = 2011, EventName = "SigningKeysRefreshFailed", Level = LogLevel.Warning,
        Message = "Fetching Firebase signing keys failed ({ErrorType}: {Error}); keeping the previous keys")]
    public static partial void SigningKeysRefreshFailed(ILogger logger, string errorType, string error);

    [LoggerMessage(EventId = 2020, EventName = "DevTokenIssuerEnabled", Level = LogLevel.Warning,
        Message = "Development token issuer enabled (kid {KeyId}); tokens it signs are trusted by this process only")]
    public static partial void DevTokenIssuerEnabled(ILogger logger, string keyId);

    [LoggerMessage(EventId = 2021, EventName = "DevTokensIgnored", Level = LogLevel.Warning,
        Message = "DevTokens:Enabled is set outside the Development environment ({Environment}); ignored")]
    public static partial void DevTokensIgnored(ILogger logger, string environment);

    [LoggerMessage(EventId = 2022, EventName = "DevTokenIssued", Level = LogLevel.Debug,
        Message = "Development token {TokenHash} issued")]
    public static partial void DevTokenIssued(ILogger logger, string tokenHash);

    [LoggerMessage(EventId = 2030, EventName = "PushSchemaReady", Level = LogLevel.Information,
        Message = "Push registrations table {Table} is ready")]
    public static partial void PushSchemaReady(ILogger logger, string table);

    [LoggerMessage(EventId = 2031, EventName = "PushDeviceRegistered", Level = LogLevel.Information,
        Message = "Push device registered ({Platform}, {Outcome}) for token {TokenHash}")]
    public static partial void PushDeviceRegistered(ILogger logger, string platform, string outcome, string tokenHash);

    [LoggerMessage(EventId = 2032, EventName = "PushDeviceUnregistered", Level = LogLevel.Information,
        Message = "Push device unregistered for token {TokenHash}")]
    public static partial void PushDeviceUnregistered(ILogger logger, string tokenHash);

    [LoggerMessage(EventId = 2033, EventName = "PushSchemaRetry", Level = LogLevel.Warning,
        Message = "Could not create the push registrations table ({ErrorType}); retrying in {Delay}")]
    public static partial void PushSchemaRetry(ILogger logger, string errorType, TimeSpan delay);

    [LoggerMessage(EventId = 2040, EventName = "ClusterErasureRefused", Level = LogLevel.Warning,
        Message = "Node {NodeId} refused an account deletion with HTTP {StatusCode}")]
    public static partial void ClusterErasureRefused(ILogger logger, string nodeId, int statusCode);

    [LoggerMessage(EventId = 2041, EventName = "ClusterErasureUnreachable", Level = LogLevel.Warning,
        Message = "Node {NodeId} could not be asked to delete an account ({ErrorType})")]
    public static partial void ClusterErasureUnreachable(ILogger logger, string nodeId, string errorType);

    [LoggerMessage(EventId = 2042, EventName = "ClusterErasureIncomplete", Level = LogLevel.Warning,
        Message = "No home node deleted the account (asked {NodeCount}): its rows are deleted from SQL, but its contacts were not told and an open session lasts until it disconnects")]
    public static partial void ClusterErasureIncomplete(ILogger logger, int nodeCount);

    [LoggerMessage(EventId = 2050, EventName = "RequestRateLimited", Level = LogLevel.Debug,
        Message = "Request to {Route} refused with 429: its client address is over its rate limit; retry after {RetryAfterSeconds} s")]
    public static partial void RequestRateLimited(ILogger logger, string route, int retryAfterSeconds);
}
