using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.PushGateway.Providers.Apns;

/// <summary>An APNs provider token and when it was issued.</summary>
internal sealed record ApnsProviderToken(string Value, DateTimeOffset IssuedAt);

/// <summary>
/// Mints and caches the APNs provider token: an ES256 JWT (header <c>kid</c>, claims <c>iss</c> = team id and
/// <c>iat</c>) signed with the <c>.p8</c> key. One token serves every request until it is
/// <see cref="ApnsOptions.ProviderTokenRefreshAfter"/> old; never one per request. Thread-safe: concurrent callers
/// that find the token stale mint one replacement between them.
/// </summary>
internal sealed class ApnsProviderTokenSource : IDisposable
{
    private readonly ApnsOptions _options;
    private readonly TimeProvider _time;
    private readonly PushGatewayMetrics _metrics;
    private readonly ILogger<ApnsProviderTokenSource> _logger;
    private readonly ECDsa _key;
    private readonly SigningCredentials _signingCredentials;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly Lock _gate = new();
    private volatile ApnsProviderToken? _current;

    public ApnsProviderTokenSource(IOptions<ApnsOptions> options, TimeProvider time, PushGatewayMetrics metrics, ILogger<ApnsProviderTokenSource> logger)
    {
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _key = ECDsa.Create();
        _key.ImportFromPem(_options.PrivateKey);
        var securityKey = new ECDsaSecurityKey(_key) { KeyId = _options.KeyId };
        _signingCredentials = new SigningCredentials(securityKey, SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>The token to send now: the cached one while it is younger than the refresh age, else a new one.</summary>
    public ApnsProviderToken Current()
    {
        var token = _current;
        if (token is not null && IsFresh(token, _time.GetUtcNow()))
        {
            return token;
        }
        lock (_gate)
        {
            token = _current;
            if (token is not null && IsFresh(token, _time.GetUtcNow()))
            {
                return token;
            }
            return Mint(token is null ? "initial" : "age");
        }
    }

    /// <summary>
    /// Replaces <paramref name="rejected"/> after APNs answered <c>ExpiredProviderToken</c>. When another caller has
    /// already replaced it, that newer token is returned and nothing is minted.
    /// </summary>
    public ApnsProviderToken Renew(ApnsProviderToken rejected)
    {
        lock (_gate)
        {
            var token = _current;
            if (token is not null && !ReferenceEquals(token, rejected) && IsFresh(token, _time.GetUtcNow()))
            {
                return token;
            }
            return Mint("expired");
        }
    }

    private bool IsFresh(ApnsProviderToken token, DateTimeOffset now)
    {
        var age = now - token.IssuedAt;
        // A clock that jumped backwards would give a token "from the future" that APNs refuses: replace it too.
        return age < _options.ProviderTokenRefreshAfter && age >= TimeSpan.FromMinutes(-1);
    }

    private ApnsProviderToken Mint(string reason)
    {
        var issuedAt = _time.GetUtcNow();
        // APNs wants whole seconds in iat; the descriptor would otherwise also add exp and nbf, which APNs does not use.
        issuedAt = DateTimeOffset.FromUnixTimeSeconds(issuedAt.ToUnixTimeSeconds());
        var value = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.TeamId,
            IssuedAt = issuedAt.UtcDateTime,
            SigningCredentials = _signingCredentials,
        });
        var token = new ApnsProviderToken(value, issuedAt);
        _current = token;
        _metrics.ApnsJwtMinted(reason);
        Log.ApnsProviderTokenMinted(_logger, _options.KeyId, reason);
        return token;
    }

    public void Dispose() => _key.Dispose();
}
