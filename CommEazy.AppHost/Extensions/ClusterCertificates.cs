using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aspire.Hosting;

/// <summary>
/// The private CA of the Prosody cluster and one certificate per node, made fresh for every local run: nodes
/// authenticate each other's s2s streams with them (TLS + SASL EXTERNAL), and nothing secret is ever committed.
/// A published deployment takes them as parameters instead (see <see cref="ProsodyResourceExtensions"/>).
/// </summary>
internal sealed class ClusterCertificates
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;

    public ClusterCertificates()
    {
        var request = new CertificateRequest("CN=CommEazy cluster CA (local run)", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        _ca = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(Lifetime));
        CaPem = _ca.ExportCertificatePem();
    }

    /// <summary>The CA certificate every node trusts (and only it) for cluster links.</summary>
    public string CaPem { get; }

    /// <summary>Issues the certificate of the cluster host <paramref name="clusterHost"/>: its PEM and its private key's PEM.</summary>
    public (string CertificatePem, string KeyPem) Issue(string clusterHost)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={clusterHost}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(clusterHost);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        // s2s streams are opened in both directions: each node is a TLS server and a TLS client.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive
        using var certificate = request.Create(_ca, now.AddMinutes(-5), now.Add(Lifetime), serial);
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
