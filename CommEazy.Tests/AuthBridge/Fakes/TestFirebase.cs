using System.Security.Cryptography;
using CommEazy.AuthBridge.Firebase;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.Tests.AuthBridge.Fakes;

/// <summary>
/// Plays Google for the unit tests: an RSA key published as a JWKS in the format of
/// securetoken@system.gserviceaccount.com, and Firebase-shaped ID tokens signed with it (or forged).
/// </summary>
internal sealed class TestFirebase : IDisposable
{
    public const string ProjectId = "commeazy-test";
    public const string Issuer = "https://securetoken.google.com/" + ProjectId;
    public const string KeyId = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

    private readonly RSA _rsa = RSA.Create(2048);

    public TestFirebase(DateTimeOffset now)
    {
        Time = new ManualTimeProvider(now);
        Keys.Jwks = JwksFor((_rsa, KeyId));
        Options = Microsoft.Extensions.Options.Options.Create(new FirebaseOptions { ProjectId = ProjectId, KeysUrl = "https://keys.invalid/jwks" });
        KeySource = new SigningKeySource(Keys, Options, Time, NullLogger<SigningKeySource>.Instance);
        Validator = new FirebaseTokenValidator(KeySource, Options, Time);
    }

    public ManualTimeProvider Time { get; }

    public StubKeysHandler Keys { get; } = new();

    public IOptions<FirebaseOptions> Options { get; }

    public SigningKeySource KeySource { get; }

    public FirebaseTokenValidator Validator { get; }

    public RSA Rsa => _rsa;

    /// <summary>The claims of a valid phone sign-in token issued a minute ago.</summary>
    public Dictionary<string, object> ValidClaims(string uid = "Xy3uid0123456789abcdefGHIJ")
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        return new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["aud"] = ProjectId,
            ["auth_time"] = now - 60,
            ["user_id"] = uid,
            ["sub"] = uid,
            ["iat"] = now - 60,
            ["exp"] = now + 3540,
            ["phone_number"] = "+31612345678",
            ["firebase"] = new Dictionary<string, object>
            {
                ["identities"] = new Dictionary<string, object> { ["phone"] = new[] { "+31612345678" } },
                ["sign_in_provider"] = "phone",
            },
        };
    }

    public string Sign(IDictionary<string, object> claims, string? kid = KeyId, RSA? rsa = null)
    {
        var key = new RsaSecurityKey(rsa ?? _rsa) { KeyId = kid };
        return Create(claims, new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
    }

    public static string Create(IDictionary<string, object> claims, SigningCredentials? credentials) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
            new SecurityTokenDescriptor { Claims = claims, SigningCredentials = credentials });

    /// <summary>A JWKS shaped like Google's: kty, alg, use, kid, n, e per key.</summary>
    public static string JwksFor(params (RSA Rsa, string Kid)[] keys)
    {
        var entries = keys.Select(k =>
        {
            var p = k.Rsa.ExportParameters(false);
            return $$"""{"e":"{{Base64UrlEncoder.Encode(p.Exponent)}}","kty":"RSA","alg":"RS256","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","use":"sig","kid":"{{k.Kid}}"}""";
        });
        return $$"""{"keys":[{{string.Join(",", entries)}}]}""";
    }

    public void Dispose()
    {
        _rsa.Dispose();
        Keys.Dispose();
    }
}
