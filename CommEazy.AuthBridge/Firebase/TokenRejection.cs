namespace CommEazy.AuthBridge.Firebase;

/// <summary>Why a bearer token was refused. Each value has a stable problem <c>detail</c> and metric label.</summary>
internal enum TokenRejection
{
    MissingToken,
    MalformedAuthorizationHeader,
    AuthorizationHeaderTooLarge,
    MalformedToken,
    UnsupportedAlgorithm,
    MissingKeyId,
    UnknownSigningKey,
    InvalidSignature,
    Expired,
    NotYetValid,
    MissingExpiry,
    WrongIssuer,
    WrongAudience,
    MissingIssuedAt,
    IssuedInFuture,
    MissingAuthTime,
    AuthTimeInFuture,
    MissingSubject,
    SubjectTooLong,
    UidNotMappable,
    InvalidToken,

    /// <summary>Not the client's fault: no signing keys could be fetched. Answered 503, not 401.</summary>
    SigningKeysUnavailable,
}

internal static class TokenRejectionExtensions
{
    /// <summary>The problem details <c>detail</c>: short, stable, and never containing the token or key material.</summary>
    public static string Detail(this TokenRejection rejection) => rejection switch
    {
        TokenRejection.MissingToken => "missing bearer token",
        TokenRejection.MalformedAuthorizationHeader => "malformed authorization header",
        TokenRejection.AuthorizationHeaderTooLarge => "authorization header too large",
        TokenRejection.MalformedToken => "malformed token",
        TokenRejection.UnsupportedAlgorithm => "unsupported algorithm",
        TokenRejection.MissingKeyId => "missing key id",
        TokenRejection.UnknownSigningKey => "unknown signing key",
        TokenRejection.InvalidSignature => "invalid signature",
        TokenRejection.Expired => "token expired",
        TokenRejection.NotYetValid => "token not yet valid",
        TokenRejection.MissingExpiry => "missing expiry",
        TokenRejection.WrongIssuer => "wrong issuer",
        TokenRejection.WrongAudience => "wrong audience",
        TokenRejection.MissingIssuedAt => "missing issued-at",
        TokenRejection.IssuedInFuture => "issued in the future",
        TokenRejection.MissingAuthTime => "missing auth_time",
        TokenRejection.AuthTimeInFuture => "auth_time in the future",
        TokenRejection.MissingSubject => "missing subject",
        TokenRejection.SubjectTooLong => "subject too long",
        TokenRejection.UidNotMappable => "uid cannot be mapped",
        TokenRejection.SigningKeysUnavailable => "signing keys unavailable",
        _ => "invalid token",
    };

    /// <summary>The <c>auth.outcome</c> metric value: low-cardinality snake case.</summary>
    public static string MetricLabel(this TokenRejection rejection) =>
        rejection.Detail().Replace(' ', '_').Replace('-', '_');
}
