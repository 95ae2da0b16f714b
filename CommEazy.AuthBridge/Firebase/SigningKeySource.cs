using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.AuthBridge.Firebase;

/// <summary>
/// Google's published Firebase signing keys (JWKS), cached for the response's Cache-Control max-age.
/// A kid that is not in the cache triggers a refetch, but fetches (successful or not) are at least
/// <see cref="MinRefetchInterval"/> apart, so a flood of made-up kids cannot make us hammer the URL.
/// When a refetch fails, the last keys fetched keep being used.
/// </summary>
internal sealed class SigningKeySource(
    IHttpClientFactory httpClientFactory,
    IOptions<FirebaseOptions> options,
    TimeProvider time,
    ILogger<SigningKeySource> logger)
{
    public const string HttpClientName = "firebase-keys";
    public static readonly TimeSpan MinRefetchInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxMaxAge = TimeSpan.FromDays(1);
    private const int MaxDocumentBytes = 256 * 1024;

    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private Snapshot _snapshot = Snapshot.Empty;
    private DateTimeOffset? _lastFetchAttempt;

    /// <summary>Finds the key for <paramref name="kid"/>, fetching the JWKS when the cache is stale or lacks it.</summary>
    public async ValueTask<KeyLookup> FindAsync(string kid, CancellationToken cancellationToken)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (time.GetUtcNow() < snapshot.ExpiresAt && snapshot.Keys.TryGetValue(kid, out var fresh))
        {
            return new KeyLookup(fresh, KeyLookupStatus.Found);
        }

        await _fetchGate.WaitAsync(cancellationToken);
        try
        {
            // Whoever held the gate may just have fetched: the throttle then also stops a duplicate fetch.
            if (_lastFetchAttempt is not { } last || time.GetUtcNow() - last >= MinRefetchInterval)
            {
                _lastFetchAttempt = time.GetUtcNow();
                // Not the caller's token: a caller giving up must not leave everyone else without keys.
                await FetchAsync(CancellationToken.None);
            }
        }
        finally
        {
            _fetchGate.Release();
        }

        snapshot = Volatile.Read(ref _snapshot);
        if (snapshot.Keys.TryGetValue(kid, out var key))
        {
            return new KeyLookup(key, KeyLookupStatus.Found);
        }
        return new KeyLookup(null, snapshot.Keys.Count == 0 ? KeyLookupStatus.Unavailable : KeyLookupStatus.UnknownKid);
    }

    private async Task FetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.GetAsync(options.Value.KeysUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            var json = await ReadBoundedAsync(response.Content, cancellationToken);
            var keys = ParseRsaSigningKeys(json);
            if (keys.Count == 0)
            {
                throw new InvalidDataException("the JWKS has no RSA signing keys");
            }
            var maxAge = response.Headers.CacheControl?.MaxAge ?? DefaultMaxAge;
            maxAge = maxAge < TimeSpan.Zero ? TimeSpan.Zero : maxAge > MaxMaxAge ? MaxMaxAge : maxAge;
            Volatile.Write(ref _snapshot, new Snapshot(keys, time.GetUtcNow() + maxAge));
            Log.SigningKeysRefreshed(logger, keys.Count, maxAge);
        }
        catch (Exception e)
        {
            // Any failure here (network, status, timeout, bad document) keeps the previous keys; never a 500.
            Log.SigningKeysRefreshFailed(logger, e.GetType().Name, e.Message);
        }
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxDocumentBytes)
        {
            throw new InvalidDataException("the JWKS document is too large");
        }
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxDocumentBytes + 1];
        var length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
            if (length > MaxDocumentBytes)
            {
                throw new InvalidDataException("the JWKS document is too large");
            }
        }
        return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Keeps the RSA keys that may sign RS256 tokens, by kid.</summary>
    internal static FrozenDictionary<string, SecurityKey> ParseRsaSigningKeys(string json)
    {
        var set = new JsonWebKeySet(json);
        return set.Keys
            .Where(k => k.Kty == JsonWebAlgorithmsKeyTypes.RSA && !string.IsNullOrEmpty(k.Kid)
                        && !string.IsNullOrEmpty(k.N) && !string.IsNullOrEmpty(k.E)
                        && k.Use is null or "" or JsonWebKeyUseNames.Sig
                        && k.Alg is null or "" or SecurityAlgorithms.RsaSha256)
            .DistinctBy(k => k.Kid, StringComparer.Ordinal)
            .ToFrozenDictionary(k => k.Kid, SecurityKey (k) => k, StringComparer.Ordinal);
    }

    private sealed record Snapshot(FrozenDictionary<string, SecurityKey> Keys, DateTimeOffset ExpiresAt)
    {
        public static readonly Snapshot Empty = new(FrozenDictionary<string, SecurityKey>.Empty, DateTimeOffset.MinValue);
    }
}

internal enum KeyLookupStatus
{
    Found,
    UnknownKid,
    Unavailable,
}

internal readonly record struct KeyLookup(SecurityKey? Key, KeyLookupStatus Status);
