using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CommEazy.Tests.Fixtures;

/// <summary>
/// A throwaway certificate authority and the Edge's server certificate it signed (RSA 2048, so the same key can serve
/// ECDHE-RSA and, where a server allowed it, plain RSA key exchange: the TLS tests need both), written as PEM to a
/// temporary folder for one test run. Clients trust <see cref="CaPath"/> (C# by a custom trust store, Node by
/// <c>NODE_EXTRA_CA_CERTS</c>); the key never leaves the folder, which is deleted at the end.
/// </summary>
public sealed class EdgeTlsCertificate : IDisposable
{
    private readonly string _directory;

    private EdgeTlsCertificate(string directory, X509Certificate2 ca)
    {
        _directory = directory;
        Ca = ca;
    }

    /// <summary>The authority's certificate (PEM), what clients trust.</summary>
    public string CaPath => Path.Combine(_directory, "ca.pem");

    /// <summary>The server certificate (PEM): <c>CommEazy:Edge:PublicCertificatePath</c>.</summary>
    public string CertificatePath => Path.Combine(_directory, "edge.pem");

    /// <summary>Its private key (PKCS#8 PEM): <c>CommEazy:Edge:PublicCertificateKeyPath</c>.</summary>
    public string KeyPath => Path.Combine(_directory, "edge.key");

    /// <summary>The authority, without its key.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The server certificate with its key, as the Edge loads it (for a test's own control server).</summary>
    public X509Certificate2 LoadServerCertificate() => X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);

    /// <summary>Validates a server's chain against <see cref="Ca"/> only, and its name.</summary>
    public bool Validate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    public static EdgeTlsCertificate Create()
    {
        var directory = Directory.CreateTempSubdirectory("commeazy-edge-tls-").FullName;
        var now = DateTimeOffset.UtcNow;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=CommEazy test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = serverRequest.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        var tls = new EdgeTlsCertificate(directory, X509CertificateLoader.LoadCertificate(ca.RawData));
        File.WriteAllText(tls.CaPath, ca.ExportCertificatePem());
        File.WriteAllText(tls.CertificatePath, server.ExportCertificatePem());
        File.WriteAllText(tls.KeyPath, serverKey.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tls.KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return tls;
    }

    public void Dispose()
    {
        Ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
