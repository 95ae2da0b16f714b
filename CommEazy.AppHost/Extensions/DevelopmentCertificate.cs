using System.Security.Cryptography.X509Certificates;

namespace Aspire.Hosting;

/// <summary>Finds the ASP.NET Core HTTPS development certificate that <c>dotnet dev-certs https</c> creates.</summary>
internal static class DevelopmentCertificate
{
    // The extension OID ASP.NET Core marks its development certificate with.
    private const string AspNetHttpsOid = "1.3.6.1.4.1.311.84.1.1";

    /// <summary>True when the current user has a valid development certificate with its private key.</summary>
    public static bool Exists()
    {
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadOnly);
        var now = DateTime.Now;
        return store.Certificates.Any(c => c.HasPrivateKey && c.NotBefore <= now && now < c.NotAfter
            && c.Extensions.Any(e => e.Oid?.Value == AspNetHttpsOid));
    }
}
