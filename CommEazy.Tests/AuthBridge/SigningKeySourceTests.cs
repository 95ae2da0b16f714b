using System.Net;
using System.Security.Cryptography;
using CommEazy.AuthBridge.Firebase;
using CommEazy.Tests.AuthBridge.Fakes;

namespace CommEazy.Tests.AuthBridge;

/// <summary>Google's keys are cached per Cache-Control max-age and unknown kids cannot make us hammer the URL.</summary>
public sealed class SigningKeySourceTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private readonly TestFirebase _firebase = new(Now);

    public void Dispose() => _firebase.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FindAsync_WithinMaxAge_FetchesOnce()
    {
        // Arrange
        _firebase.Keys.MaxAge = TimeSpan.FromHours(6);

        // Act
        for (var i = 0; i < 10; i++)
        {
            await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);
            _firebase.Time.Advance(TimeSpan.FromMinutes(30));
        }

        // Assert: 10 lookups over 5 h, all inside one max-age.
        Assert.Equal(1, _firebase.Keys.Requests);
    }

    [Fact]
    public async Task FindAsync_AfterMaxAge_Refetches()
    {
        // Arrange
        _firebase.Keys.MaxAge = TimeSpan.FromMinutes(10);
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);

        // Act
        _firebase.Time.Advance(TimeSpan.FromMinutes(9));
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);
        var beforeExpiry = _firebase.Keys.Requests;
        _firebase.Time.Advance(TimeSpan.FromMinutes(2));
        var lookup = await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);

        // Assert
        Assert.Equal(1, beforeExpiry);
        Assert.Equal(2, _firebase.Keys.Requests);
        Assert.Equal(KeyLookupStatus.Found, lookup.Status);
    }

    [Fact]
    public async Task FindAsync_FloodOfUnknownKids_RefetchesAtMostOncePerInterval()
    {
        // Arrange
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);
        _firebase.Time.Advance(SigningKeySource.MinRefetchInterval);

        // Act: 200 bogus kids in one interval, concurrently, then 200 more in the next.
        var first = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => _firebase.KeySource.FindAsync($"bogus-{i}", Ct).AsTask()));
        var afterFirstFlood = _firebase.Keys.Requests;
        _firebase.Time.Advance(SigningKeySource.MinRefetchInterval);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => _firebase.KeySource.FindAsync($"bogus-b-{i}", Ct).AsTask()));

        // Assert
        Assert.All(first, l => Assert.Equal(KeyLookupStatus.UnknownKid, l.Status));
        Assert.Equal(2, afterFirstFlood);
        Assert.Equal(3, _firebase.Keys.Requests);
    }

    [Fact]
    public async Task FindAsync_RotatedKeyUnknownToCache_FoundAfterRefetch()
    {
        // Arrange
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);
        using var rotated = RSA.Create(2048);
        _firebase.Keys.Jwks = TestFirebase.JwksFor((_firebase.Rsa, TestFirebase.KeyId), (rotated, "rotated-kid"));
        _firebase.Time.Advance(SigningKeySource.MinRefetchInterval);

        // Act
        var lookup = await _firebase.KeySource.FindAsync("rotated-kid", Ct);

        // Assert
        Assert.Equal(KeyLookupStatus.Found, lookup.Status);
        Assert.Equal(2, _firebase.Keys.Requests);
    }

    [Fact]
    public async Task FindAsync_RefetchFails_KeepsPreviousKeys()
    {
        // Arrange
        _firebase.Keys.MaxAge = TimeSpan.FromMinutes(1);
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);
        _firebase.Keys.Status = HttpStatusCode.InternalServerError;
        _firebase.Time.Advance(TimeSpan.FromMinutes(5));

        // Act
        var lookup = await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);

        // Assert
        Assert.Equal(2, _firebase.Keys.Requests);
        Assert.Equal(KeyLookupStatus.Found, lookup.Status);
    }

    [Fact]
    public async Task FindAsync_NeverFetched_ReportsUnavailableAndThrottlesRetries()
    {
        // Arrange
        _firebase.Keys.Status = HttpStatusCode.ServiceUnavailable;

        // Act
        var first = await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);
        var second = await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);

        // Assert
        Assert.Equal(KeyLookupStatus.Unavailable, first.Status);
        Assert.Equal(KeyLookupStatus.Unavailable, second.Status);
        Assert.Equal(1, _firebase.Keys.Requests);
    }

    [Fact]
    public async Task FindAsync_NoCacheControl_UsesDefaultMaxAge()
    {
        // Arrange
        _firebase.Keys.MaxAge = null;
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);

        // Act
        _firebase.Time.Advance(SigningKeySource.DefaultMaxAge - TimeSpan.FromSeconds(1));
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);
        var beforeDefault = _firebase.Keys.Requests;
        _firebase.Time.Advance(TimeSpan.FromSeconds(2));
        await _firebase.KeySource.FindAsync(TestFirebase.KeyId, Ct);

        // Assert
        Assert.Equal(1, beforeDefault);
        Assert.Equal(2, _firebase.Keys.Requests);
    }

    [Fact]
    public void ParseRsaSigningKeys_GoogleJwksFormat_KeepsRsaSignatureKeysOnly()
    {
        // Arrange: Google's document, plus entries that must be ignored.
        var json = TestFirebase.JwksFor((_firebase.Rsa, "google-kid-1"), (_firebase.Rsa, "google-kid-2"))
            .Replace("]}", """,{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"ec"},{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB","kid":"enc"}]}""");

        // Act
        var keys = SigningKeySource.ParseRsaSigningKeys(json);

        // Assert
        Assert.Equal(["google-kid-1", "google-kid-2"], keys.Keys.Order());
    }
}
