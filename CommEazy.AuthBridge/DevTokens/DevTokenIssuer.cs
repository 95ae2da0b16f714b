using System.Security.Cryptography;
using CommEazy.AuthBridge.Firebase;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.AuthBridge.DevTokens;

/// <summary>
/// A local stand-in for Firebase phone sign-in, for offline development: issues RS256 ID tokens shaped like
/// Firebase's, signed with an RSA key generated in memory at startup. Registered only in the Development
/// environment with <c>DevTokens:Enabled</c> = true, and only then trusted by <see cref="FirebaseTokenValidator"/>.
/// </summary>
internal sealed class DevTokenIssuer : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly SigningCredentials _credentials;
    private readonly IOptions<FirebaseOptions> _firebase;
    private readonly TimeProvider _time;

    public DevTokenIssuer(IOptions<FirebaseOptions> firebase, TimeProvider time)
    {
        _firebase = firebase;
        _time = time;
        KeyId = $"commeazy-dev-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        SigningKey = new RsaSecurityKey(_rsa) { KeyId = KeyId };
        _credentials = new SigningCredentials(SigningKey, SecurityAlgorithms.RsaSha256);
    }

    public string KeyId { get; }

    public RsaSecurityKey SigningKey { get; }

    /// <summary>An ID token for <paramref name="uid"/> signed in by phone, valid for one hour.</summary>
    public string Issue(string uid, string phoneNumber)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var projectId = _firebase.Value.ProjectId;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = _firebase.Value.Issuer,
            ["aud"] = projectId,
            ["auth_time"] = now,
            ["user_id"] = uid,
            ["sub"] = uid,
            ["iat"] = now,
            ["exp"] = now + (long)Lifetime.TotalSeconds,
            ["phone_number"] = phoneNumber,
            ["firebase"] = new Dictionary<string, object>
            {
                ["identities"] = new Dictionary<string, object> { ["phone"] = new[] { phoneNumber } },
                ["sign_in_provider"] = "phone",
            },
        };
        return Handler.CreateToken(new SecurityTokenDescriptor { Claims = claims, SigningCredentials = _credentials });
    }

    /// <summary>The public half of the key, in the JWKS format Google publishes.</summary>
    public DevJsonWebKeySet GetKeySet()
    {
        var parameters = _rsa.ExportParameters(includePrivateParameters: false);
        return new DevJsonWebKeySet([new DevJsonWebKey(
            "RSA", SecurityAlgorithms.RsaSha256, "sig", KeyId,
            Base64UrlEncoder.Encode(parameters.Modulus), Base64UrlEncoder.Encode(parameters.Exponent))]);
    }

    public void Dispose() => _rsa.Dispose();
}

internal sealed record DevJsonWebKeySet(IReadOnlyList<DevJsonWebKey> Keys);

internal sealed record DevJsonWebKey(string Kty, string Alg, string Use, string Kid, string N, string E);
