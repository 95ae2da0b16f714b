using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;

namespace CommEazy.PushGateway.Providers.Apns;

/// <summary>
/// APNs with token-based authentication (<c>Push:Apns</c>). When the section is absent the APNs provider is not
/// registered at all. <see cref="PrivateKey"/> is a secret: it comes from an Aspire secret parameter, never from
/// an appsettings file.
/// </summary>
internal sealed class ApnsOptions : IValidatableObject
{
    public const string SectionName = "Push:Apns";
    public const string DefaultEndpoint = "https://api.push.apple.com";
    public const string DefaultSandboxEndpoint = "https://api.sandbox.push.apple.com";

    /// <summary>The 10-character key id of the APNs auth key (the <c>kid</c> of every provider token).</summary>
    [Required, RegularExpression(@"^[A-Z0-9]{10}\z", ErrorMessage = "Push:Apns:KeyId must be the 10-character key id of the APNs auth key.")]
    public string KeyId { get; set; } = "";

    /// <summary>The 10-character Apple developer team id (the <c>iss</c> of every provider token).</summary>
    [Required, RegularExpression(@"^[A-Z0-9]{10}\z", ErrorMessage = "Push:Apns:TeamId must be the 10-character Apple team id.")]
    public string TeamId { get; set; } = "";

    /// <summary>The PEM text of the <c>.p8</c> auth key (PKCS#8, P-256). Secret.</summary>
    [Required]
    public string PrivateKey { get; set; } = "";

    /// <summary>Production APNs; overridable so tests can point it at a fake.</summary>
    [Required]
    public Uri Endpoint { get; set; } = new(DefaultEndpoint);

    /// <summary>Sandbox (development) APNs, for tokens registered with <c>environment = sandbox</c>.</summary>
    [Required]
    public Uri SandboxEndpoint { get; set; } = new(DefaultSandboxEndpoint);

    /// <summary>
    /// Age at which the provider token is replaced. Apple refuses tokens older than an hour and answers
    /// <c>TooManyProviderTokenUpdates</c> to more than one new token per 20 minutes; the upper bound leaves 5 minutes
    /// for clock skew.
    /// </summary>
    [Range(typeof(TimeSpan), "00:20:00", "00:55:00")]
    public TimeSpan ProviderTokenRefreshAfter { get; set; } = TimeSpan.FromMinutes(40);

    /// <summary>How long APNs keeps trying to deliver a "message waiting" push (<c>apns-expiration</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MessageTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long APNs keeps trying to deliver an "incoming call" push; a late ring is worse than none.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan CallTimeToLive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of 429 / 5xx / connection failures.</summary>
    public PushRetryOptions Retry { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, uri) in new[] { (nameof(Endpoint), Endpoint), (nameof(SandboxEndpoint), SandboxEndpoint) })
        {
            if (uri is null || !uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps)
            {
                yield return new ValidationResult($"{SectionName}:{name} must be an absolute https URL.", [name]);
            }
        }
        if (!string.IsNullOrWhiteSpace(PrivateKey) && !IsP256PrivateKey(PrivateKey))
        {
            // Never echo the key itself.
            yield return new ValidationResult($"{SectionName}:PrivateKey must be the PEM text of a P-256 (ES256) .p8 auth key.", [nameof(PrivateKey)]);
        }
        foreach (var result in (Retry ?? new PushRetryOptions()).Validate(SectionName))
        {
            yield return result;
        }
    }

    private static bool IsP256PrivateKey(string pem)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            var parameters = key.ExportParameters(includePrivateParameters: true);
            return parameters.D is { Length: > 0 } && key.KeySize == 256;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }
}
