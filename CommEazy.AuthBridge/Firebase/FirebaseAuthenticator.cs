using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using CommEazy.AuthBridge.Accounts;

namespace CommEazy.AuthBridge.Firebase;

/// <summary>
/// Reads <c>Authorization: Bearer &lt;Firebase ID token&gt;</c>, validates the token and maps its uid to a
/// localpart. The header's size is bounded (<see cref="MaxAuthorizationHeaderLength"/>) before any parsing.
/// </summary>
internal sealed class FirebaseAuthenticator(FirebaseTokenValidator validator)
{
    public const int MaxAuthorizationHeaderLength = 8 * 1024;
    private const string BearerPrefix = "Bearer ";

    public async Task<BearerAuthentication> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var values = request.Headers.Authorization;
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values[0]))
        {
            return BearerAuthentication.Refused("-", TokenRejection.MissingToken);
        }
        if (values.Count > 1)
        {
            return BearerAuthentication.Refused("-", TokenRejection.MalformedAuthorizationHeader);
        }
        var header = values[0]!;
        if (header.Length > MaxAuthorizationHeaderLength)
        {
            return BearerAuthentication.Refused("-", TokenRejection.AuthorizationHeaderTooLarge);
        }
        if (header.Trim().Equals(BearerPrefix.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            return BearerAuthentication.Refused("-", TokenRejection.MissingToken);
        }
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return BearerAuthentication.Refused("-", TokenRejection.MalformedAuthorizationHeader);
        }
        var token = header[BearerPrefix.Length..].Trim();
        if (token.Length == 0)
        {
            return BearerAuthentication.Refused("-", TokenRejection.MissingToken);
        }

        var tokenHash = HashToken(token);
        var outcome = await validator.ValidateAsync(token, cancellationToken);
        if (outcome.Rejection is { } rejection)
        {
            return BearerAuthentication.Refused(tokenHash, rejection);
        }
        return JidMapper.TryMapUid(outcome.Uid!, out var localpart)
            ? new BearerAuthentication(tokenHash, outcome.Uid, localpart, null)
            : BearerAuthentication.Refused(tokenHash, TokenRejection.UidNotMappable);
    }

    /// <summary>The only form of a token that may be logged: the first 8 hex characters of its SHA-256.</summary>
    public static string HashToken(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)), 0, 4);
}

/// <summary>The authenticated user (uid and localpart), or why the request was refused.</summary>
internal readonly record struct BearerAuthentication(string TokenHash, string? Uid, string? Localpart, TokenRejection? Rejection)
{
    [MemberNotNullWhen(true, nameof(Uid), nameof(Localpart))]
    [MemberNotNullWhen(false, nameof(Rejection))]
    public bool Succeeded => Rejection is null;

    public static BearerAuthentication Refused(string tokenHash, TokenRejection rejection) => new(tokenHash, null, null, rejection);
}
