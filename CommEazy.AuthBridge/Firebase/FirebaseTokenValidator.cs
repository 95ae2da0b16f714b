using CommEazy.AuthBridge.DevTokens;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.AuthBridge.Firebase;

/// <summary>
/// Verifies a Firebase ID token the way Firebase documents it: RS256 only, a <c>kid</c> among Google's
/// published keys, <c>iss</c> = <c>https://securetoken.google.com/&lt;projectId&gt;</c>, <c>aud</c> = projectId,
/// <c>exp</c> in the future, <c>iat</c> and <c>auth_time</c> in the past, <c>sub</c> non-empty and at most
/// 128 characters. Clock skew allowed on every time check: <see cref="ClockSkew"/> (30 s).
/// When the development issuer is on, its key is trusted instead of Google's (which are then never fetched).
/// </summary>
internal sealed class FirebaseTokenValidator(
    SigningKeySource keySource,
    IOptions<FirebaseOptions> options,
    TimeProvider time,
    DevTokenIssuer? devIssuer = null)
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    public const int MaxTokenLength = 8 * 1024;
    public const int MaxSubjectLength = 128;

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = MaxTokenLength };

    public async Task<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length > MaxTokenLength || !Handler.CanReadToken(token))
        {
            return TokenValidationOutcome.Reject(TokenRejection.MalformedToken);
        }
        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException)
        {
            return TokenValidationOutcome.Reject(TokenRejection.MalformedToken);
        }
        if (jwt.IsEncrypted || jwt.Alg != SecurityAlgorithms.RsaSha256)
        {
            return TokenValidationOutcome.Reject(TokenRejection.UnsupportedAlgorithm);
        }
        if (string.IsNullOrEmpty(jwt.Kid))
        {
            return TokenValidationOutcome.Reject(TokenRejection.MissingKeyId);
        }

        // With the dev issuer on, its key is the only one trusted and Google is never asked: a development machine
        // sends no traffic outside, and a token from an earlier run (the key is regenerated at every start) is
        // simply an unknown key.
        var lookup = devIssuer is null
            ? await keySource.FindAsync(jwt.Kid, cancellationToken)
            : devIssuer.KeyId == jwt.Kid
                ? new KeyLookup(devIssuer.SigningKey, KeyLookupStatus.Found)
                : new KeyLookup(null, KeyLookupStatus.UnknownKid);
        if (lookup.Key is null)
        {
            return TokenValidationOutcome.Reject(lookup.Status == KeyLookupStatus.Unavailable
                ? TokenRejection.SigningKeysUnavailable
                : TokenRejection.UnknownSigningKey);
        }

        var result = await Handler.ValidateTokenAsync(jwt, CreateParameters(lookup.Key));
        if (!result.IsValid)
        {
            return TokenValidationOutcome.Reject(Classify(result.Exception));
        }
        return CheckFirebaseClaims(jwt);
    }

    private TokenValidationParameters CreateParameters(SecurityKey key) => new()
    {
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        IssuerSigningKey = key,
        TryAllIssuerSigningKeys = false,
        RequireSignedTokens = true,
        ValidIssuer = options.Value.Issuer,
        ValidAudience = options.Value.ProjectId,
        RequireAudience = true,
        // Lifetime is checked in CheckFirebaseClaims on the injected clock, with iat and auth_time.
        ValidateLifetime = false,
        LogValidationExceptions = false,
    };

    private TokenValidationOutcome CheckFirebaseClaims(JsonWebToken jwt)
    {
        var now = time.GetUtcNow();
        var latest = now + ClockSkew;
        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out var exp))
        {
            return TokenValidationOutcome.Reject(TokenRejection.MissingExpiry);
        }
        if (FromUnixSeconds(exp) <= now - ClockSkew)
        {
            return TokenValidationOutcome.Reject(TokenRejection.Expired);
        }
        if (jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Nbf, out var nbf) && FromUnixSeconds(nbf) > latest)
        {
            return TokenValidationOutcome.Reject(TokenRejection.NotYetValid);
        }
        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Iat, out var iat))
        {
            return TokenValidationOutcome.Reject(TokenRejection.MissingIssuedAt);
        }
        if (FromUnixSeconds(iat) > latest)
        {
            return TokenValidationOutcome.Reject(TokenRejection.IssuedInFuture);
        }
        if (!jwt.TryGetPayloadValue<long>("auth_time", out var authTime))
        {
            return TokenValidationOutcome.Reject(TokenRejection.MissingAuthTime);
        }
        if (FromUnixSeconds(authTime) > latest)
        {
            return TokenValidationOutcome.Reject(TokenRejection.AuthTimeInFuture);
        }
        var subject = jwt.Subject;
        if (string.IsNullOrEmpty(subject))
        {
            return TokenValidationOutcome.Reject(TokenRejection.MissingSubject);
        }
        return subject.Length > MaxSubjectLength
            ? TokenValidationOutcome.Reject(TokenRejection.SubjectTooLong)
            : TokenValidationOutcome.Accept(subject);
    }

    private static DateTimeOffset FromUnixSeconds(long seconds) =>
        DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));

    private static TokenRejection Classify(Exception? exception) => exception switch
    {
        SecurityTokenInvalidIssuerException => TokenRejection.WrongIssuer,
        SecurityTokenInvalidAudienceException => TokenRejection.WrongAudience,
        SecurityTokenInvalidAlgorithmException => TokenRejection.UnsupportedAlgorithm,
        SecurityTokenSignatureKeyNotFoundException => TokenRejection.UnknownSigningKey,
        SecurityTokenInvalidSignatureException => TokenRejection.InvalidSignature,
        SecurityTokenMalformedException or ArgumentException => TokenRejection.MalformedToken,
        _ => TokenRejection.InvalidToken,
    };
}

/// <summary>Either the token's <c>sub</c> (the Firebase uid) or why the token was refused.</summary>
internal readonly record struct TokenValidationOutcome(string? Uid, TokenRejection? Rejection)
{
    public static TokenValidationOutcome Accept(string uid) => new(uid, null);

    public static TokenValidationOutcome Reject(TokenRejection rejection) => new(null, rejection);
}
