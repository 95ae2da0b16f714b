using System.Security.Cryptography;
using System.Text.Json;

namespace CommEazy.PushGateway.Providers.Fcm;

/// <summary>The fields of a Google service-account key file (JSON) that FCM needs.</summary>
/// <param name="ProjectId"><c>project_id</c>: the Firebase project pushes are sent for.</param>
/// <param name="ClientEmail"><c>client_email</c>: the account, the <c>iss</c> of the OAuth2 JWT assertion.</param>
/// <param name="PrivateKeyId"><c>private_key_id</c>: the <c>kid</c> of the assertion.</param>
/// <param name="PrivateKey"><c>private_key</c>: PKCS#8 PEM of the RSA key. Secret.</param>
/// <param name="TokenUri"><c>token_uri</c>: the OAuth2 token endpoint (Google's, or a test fake's).</param>
internal sealed record FcmServiceAccount(string ProjectId, string ClientEmail, string PrivateKeyId, string PrivateKey, Uri TokenUri)
{
    /// <summary>Reads the key file; the error never quotes the file (it holds the private key).</summary>
    public static bool TryParse(string json, out FcmServiceAccount? account, out string? error)
    {
        account = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            string? Field(string name) =>
                root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()
                    : null;

            if (Field("type") != "service_account")
            {
                error = "is not a service-account key (type must be \"service_account\")";
                return false;
            }
            var missing = new[] { "project_id", "client_email", "private_key_id", "private_key", "token_uri" }
                .Where(name => string.IsNullOrWhiteSpace(Field(name)))
                .ToArray();
            if (missing.Length > 0)
            {
                error = $"lacks {string.Join(", ", missing)}";
                return false;
            }
            if (!Uri.TryCreate(Field("token_uri"), UriKind.Absolute, out var tokenUri) || tokenUri.Scheme != Uri.UriSchemeHttps)
            {
                error = "has a token_uri that is not an absolute https URL";
                return false;
            }
            var privateKey = Field("private_key")!;
            if (!IsRsaPrivateKey(privateKey))
            {
                error = "has a private_key that is not a PEM-encoded RSA private key";
                return false;
            }
            account = new FcmServiceAccount(Field("project_id")!, Field("client_email")!, Field("private_key_id")!, privateKey, tokenUri);
            error = null;
            return true;
        }
        catch (JsonException)
        {
            error = "is not valid JSON";
            return false;
        }
    }

    private static bool IsRsaPrivateKey(string pem)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa.KeySize >= 2048;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"FcmServiceAccount {{ ProjectId = {ProjectId}, ClientEmail = {ClientEmail}, TokenUri = {TokenUri} }}";
}
