using System.ComponentModel.DataAnnotations;

namespace CommEazy.PushGateway.Providers.Fcm;

/// <summary>
/// FCM HTTP v1 (<c>Push:Fcm</c>). When the section is absent the FCM provider is not registered at all.
/// <see cref="ServiceAccountJson"/> is a secret: it comes from an Aspire secret parameter, never from an appsettings file.
/// </summary>
internal sealed class FcmOptions : IValidatableObject
{
    public const string SectionName = "Push:Fcm";
    public const string DefaultEndpoint = "https://fcm.googleapis.com";

    /// <summary>
    /// The service-account key file (JSON). Its <c>project_id</c> names the project to send for and its
    /// <c>token_uri</c> the OAuth2 token endpoint (so tests point it at a fake). Secret.
    /// </summary>
    [Required]
    public string ServiceAccountJson { get; set; } = "";

    /// <summary>The FCM API; overridable so tests can point it at a fake.</summary>
    [Required]
    public Uri Endpoint { get; set; } = new(DefaultEndpoint);

    /// <summary>How long FCM keeps a "message waiting" push for an offline device (<c>android.ttl</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "28.00:00:00")]
    public TimeSpan MessageTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long FCM keeps an "incoming call" push; a late ring is worse than none.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan CallTimeToLive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of 429 / 5xx / connection failures.</summary>
    public PushRetryOptions Retry { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || Endpoint.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult($"{SectionName}:Endpoint must be an absolute https URL.", [nameof(Endpoint)]);
        }
        if (!string.IsNullOrWhiteSpace(ServiceAccountJson) && !FcmServiceAccount.TryParse(ServiceAccountJson, out _, out var error))
        {
            yield return new ValidationResult($"{SectionName}:ServiceAccountJson {error}.", [nameof(ServiceAccountJson)]);
        }
        foreach (var result in (Retry ?? new PushRetryOptions()).Validate(SectionName))
        {
            yield return result;
        }
    }
}
