using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CommEazy.PushGateway.Providers;

/// <summary>
/// Test hook: makes the provider clients (APNs, FCM send, FCM OAuth token endpoint) trust one extra server
/// certificate, compared by its SHA-256 hash, besides the system's roots — the self-signed certificate of the
/// in-process fake APNs/FCM servers.
/// </summary>
/// <remarks>
/// It is deliberately not an option: nothing binds it from configuration, and it is <see langword="internal"/>,
/// so only code in this assembly or the test assembly can register it
/// (<c>services.AddSingleton(new ProviderServerCertificateTrust(cert))</c>). A deployment cannot weaken the
/// providers' TLS validation with a setting. Without a registration the default validation applies unchanged.
/// </remarks>
internal sealed class ProviderServerCertificateTrust(X509Certificate2 certificate)
{
    private readonly byte[] _trustedHash = certificate.GetCertHash(HashAlgorithmName.SHA256);

    public bool Validate(object? sender, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        return presented is not null
            && CryptographicOperations.FixedTimeEquals(presented.GetCertHash(HashAlgorithmName.SHA256), _trustedHash);
    }
}
