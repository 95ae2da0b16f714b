using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace CommEazy.Edge.PublicFace;

/// <summary>
/// The public listener's hardening: no server banner; small request limits (apps send a WebSocket upgrade and
/// nothing else of size); TLS 1.2 and 1.3 only, with ECDHE key exchange and AES-GCM (the product's requirement), on
/// every HTTPS endpoint, with the certificate of <see cref="EdgeOptions.PublicCertificatePath"/> when one is
/// configured; the client address taken from <c>X-Forwarded-For</c> only when the request comes from one of
/// <see cref="EdgeOptions.TrustedProxies"/> (a CDN or load balancer in front).
/// </summary>
internal static class PublicListener
{
    /// <summary>The largest request body the public listener reads (no public path takes one: see <see cref="RequestBodyLimit"/>).</summary>
    public const int MaxRequestBodyBytes = 16 * 1024;

    // TLS 1.3 suites are all AEAD with ephemeral key exchange; the TLS 1.2 list is ECDHE + AES-GCM only.
    private static readonly TlsCipherSuite[] CipherSuites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];

    /// <summary>Configures Kestrel and the forwarded-headers rule from the <c>Edge</c> settings.</summary>
    public static WebApplicationBuilder ConfigurePublicListener(this WebApplicationBuilder builder)
    {
        var edge = builder.Configuration.GetSection(EdgeOptions.SectionName).Get<EdgeOptions>() ?? new EdgeOptions();
        X509Certificate2? certificate = null;
        if (!string.IsNullOrEmpty(edge.PublicCertificatePath))
        {
            certificate = string.IsNullOrEmpty(edge.PublicCertificateKeyPath)
                ? X509CertificateLoader.LoadCertificateFromFile(edge.PublicCertificatePath)
                : X509Certificate2.CreateFromPemFile(edge.PublicCertificatePath, edge.PublicCertificateKeyPath);
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 40;
            kestrel.Limits.MaxRequestLineSize = 4 * 1024;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            kestrel.ConfigureHttpsDefaults(https =>
            {
                https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                if (certificate is not null)
                {
                    https.ServerCertificate = certificate;
                }
                https.OnAuthenticate = (_, ssl) =>
                {
                    // Linux and macOS let the suites be listed (Windows takes them from the OS policy).
                    if (!OperatingSystem.IsWindows())
                    {
                        ssl.CipherSuitesPolicy = new CipherSuitesPolicy(CipherSuites);
                    }
                };
            });
        });
        builder.Services.Configure<ForwardedHeadersOptions>(forwarded => forwarded.TrustOnly(edge.TrustedProxies));
        return builder;
    }
}
