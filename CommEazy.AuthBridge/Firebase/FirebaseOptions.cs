using System.ComponentModel.DataAnnotations;

namespace CommEazy.AuthBridge.Firebase;

/// <summary>The Firebase project whose ID tokens are accepted and where Google publishes its signing keys.</summary>
internal sealed class FirebaseOptions : IValidatableObject
{
    public const string SectionName = "Firebase";

    /// <summary>Google's JWKS for Firebase ID tokens (<c>securetoken@system.gserviceaccount.com</c>).</summary>
    public const string GoogleKeysUrl = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com";

    /// <summary>The token's <c>aud</c>, and the suffix of its <c>iss</c>.</summary>
    [Required, RegularExpression(@"^[a-z0-9][a-z0-9-]{2,62}\z", ErrorMessage = "Firebase:ProjectId must be a Firebase project id.")]
    public string ProjectId { get; set; } = "";

    /// <summary>A JWKS document; Cache-Control max-age on its response decides how long it is cached.</summary>
    public string KeysUrl { get; set; } = GoogleKeysUrl;

    /// <summary>The exact <c>iss</c> Firebase puts in ID tokens of this project.</summary>
    public string Issuer => $"https://securetoken.google.com/{ProjectId}";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(KeysUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            yield return new ValidationResult("Firebase:KeysUrl must be an absolute http(s) URL.", [nameof(KeysUrl)]);
        }
    }
}
