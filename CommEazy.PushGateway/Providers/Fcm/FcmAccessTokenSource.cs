using Google.Apis.Auth.OAuth2;
using Google.Apis.Util;
using Microsoft.Extensions.Options;

namespace CommEazy.PushGateway.Providers.Fcm;

/// <summary>
/// OAuth2 access tokens for FCM from the service account, through Google.Apis.Auth: it signs the RS256 JWT-bearer
/// assertion (<c>aud</c> = the key file's <c>token_uri</c>, scope <c>firebase.messaging</c>), exchanges it at
/// <c>token_uri</c>, caches the access token and refreshes it shortly before it expires.
/// </summary>
internal sealed class FcmAccessTokenSource
{
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly ServiceAccountCredential _credential;
    private readonly PushGatewayMetrics _metrics;
    private readonly ILogger<FcmAccessTokenSource> _logger;
    private string? _lastToken;

    public FcmAccessTokenSource(
        IOptions<FcmOptions> options,
        TimeProvider time,
        PushGatewayMetrics metrics,
        ILogger<FcmAccessTokenSource> logger,
        ProviderServerCertificateTrust? serverCertificateTrust = null)
    {
        _metrics = metrics;
        _logger = logger;
        if (!FcmServiceAccount.TryParse(options.Value.ServiceAccountJson, out var account, out var error))
        {
            throw new InvalidOperationException($"{FcmOptions.SectionName}:ServiceAccountJson {error}.");
        }
        Account = account!;
        var initializer = new ServiceAccountCredential.Initializer(Account.ClientEmail, Account.TokenUri.AbsoluteUri)
        {
            ProjectId = Account.ProjectId,
            KeyId = Account.PrivateKeyId,
            Scopes = [Scope],
            Clock = new TimeProviderClock(time),
            HttpClientFactory = new TokenEndpointHttpClientFactory(serverCertificateTrust),
        }.FromPrivateKey(Account.PrivateKey);
        _credential = new ServiceAccountCredential(initializer);
    }

    public FcmServiceAccount Account { get; }

    /// <summary>A valid access token: the cached one, or a new one when it is about to expire.</summary>
    public async Task<string> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        // Explicit scopes: Google.Apis.Auth then uses the OAuth2 token endpoint (not a self-signed JWT).
        var token = await _credential.GetAccessTokenForRequestAsync(authUri: null, cancellationToken).ConfigureAwait(false);
        var previous = Interlocked.Exchange(ref _lastToken, token);
        if (!string.Equals(previous, token, StringComparison.Ordinal))
        {
            _metrics.FcmAccessTokenFetched();
            Log.FcmAccessTokenFetched(_logger, Account.ProjectId);
        }
        return token;
    }

    /// <summary>Google.Apis.Auth's clock, driven by our <see cref="TimeProvider"/> so tests can move time.</summary>
    private sealed class TimeProviderClock(TimeProvider time) : IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;

        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }

    /// <summary>The token endpoint's HttpClient: Google's defaults, plus the test-only certificate trust when registered.</summary>
    private sealed class TokenEndpointHttpClientFactory(ProviderServerCertificateTrust? trust) : Google.Apis.Http.HttpClientFactory
    {
        protected override HttpClientHandler CreateClientHandler()
        {
            var handler = base.CreateClientHandler();
            if (trust is not null)
            {
                handler.ServerCertificateCustomValidationCallback = (message, certificate, chain, errors) => trust.Validate(message, certificate, chain, errors);
            }
            return handler;
        }
    }
}
