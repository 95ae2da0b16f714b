using System.Security.Cryptography;
using CommEazy.Tests.Fakes.Apns;
using CommEazy.Tests.Fakes.Fcm;
using CommEazy.Tests.PushGateway;

namespace CommEazy.Tests.Fixtures;

/// <summary>
/// The fake APNs and FCM the cluster's PushGateway is pointed at (through the AppHost's <c>Push:*</c> settings and the
/// <c>apns-private-key</c> / <c>fcm-service-account</c> parameters), with fresh keys for each run. The gateway trusts
/// the fakes' self-signed certificate through <c>SSL_CERT_FILE</c> (OpenSSL's, honoured by .NET on Linux): a CA
/// bundle of the system's roots plus that certificate, set on the gateway process only.
/// </summary>
public sealed class PushFakes : IAsyncDisposable
{
    public const string BundleId = ApnsTestBed.BundleId;

    private readonly ECDsa _apnsKey;
    private readonly RSA _fcmKey;

    private PushFakes(ECDsa apnsKey, RSA fcmKey, FakeApnsServer apns, FakeFcmServer fcm, string caBundle)
    {
        _apnsKey = apnsKey;
        _fcmKey = fcmKey;
        Apns = apns;
        Fcm = fcm;
        CaBundlePath = caBundle;
    }

    internal FakeApnsServer Apns { get; }

    internal FakeFcmServer Fcm { get; }

    /// <summary>The PEM bundle the gateway's <c>SSL_CERT_FILE</c> points at.</summary>
    public string CaBundlePath { get; }

    public static async Task<PushFakes> StartAsync()
    {
        var apnsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var apns = await ApnsTestBed.StartFakeAsync(apnsKey, TimeProvider.System);
        var fcmKey = RSA.Create(2048);
        var fcm = await FcmTestBed.StartFakeAsync(fcmKey, TimeProvider.System);

        var caBundle = Path.Combine(Path.GetTempPath(), $"commeazy-test-ca-{Guid.NewGuid():N}.pem");
        const string systemRoots = "/etc/ssl/certs/ca-certificates.crt";
        var roots = File.Exists(systemRoots) ? await File.ReadAllTextAsync(systemRoots) : "";
        await File.WriteAllTextAsync(caBundle, roots + "\n" + TestCertificate.Localhost.ExportCertificatePem() + "\n");
        return new PushFakes(apnsKey, fcmKey, apns, fcm, caBundle);
    }

    /// <summary>The AppHost command-line settings that point the gateway at the fakes (no secrets: those are parameters).</summary>
    public string[] AppHostArguments() =>
    [
        $"--Push:Apns:KeyId={ApnsTestBed.KeyId}",
        $"--Push:Apns:TeamId={ApnsTestBed.TeamId}",
        $"--Push:Apns:Endpoint={Apns.BaseAddress.AbsoluteUri}",
        $"--Push:Apns:SandboxEndpoint={Apns.BaseAddress.AbsoluteUri}",
        "--Push:Apns:Retry:BaseDelay=00:00:00.050",
        "--Push:Apns:Retry:MaxRetryAfter=00:00:02",
        "--Push:Apns:Retry:AttemptTimeout=00:00:02",
        "--Push:Apns:Retry:TotalTimeout=00:00:08",
        $"--Push:Fcm:Endpoint={Fcm.BaseAddress.AbsoluteUri}",
        "--Push:Fcm:Retry:BaseDelay=00:00:00.050",
        "--Push:Fcm:Retry:MaxRetryAfter=00:00:02",
    ];

    /// <summary>The secret parameters' values: the APNs .p8 key and the FCM service-account file.</summary>
    public IReadOnlyDictionary<string, string> Parameters() => new Dictionary<string, string>
    {
        ["apns-private-key"] = _apnsKey.ExportPkcs8PrivateKeyPem(),
        ["fcm-service-account"] = Fcm.ServiceAccountJson(_fcmKey),
    };

    public async ValueTask DisposeAsync()
    {
        await Apns.DisposeAsync();
        await Fcm.DisposeAsync();
        _apnsKey.Dispose();
        _fcmKey.Dispose();
        File.Delete(CaBundlePath);
    }
}
