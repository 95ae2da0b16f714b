using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CommEazy.PushGateway;
using CommEazy.PushGateway.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// A clock tests can move forward. Only "now" moves: timers and timestamps stay real, so the resilience pipeline's
/// delays and timeouts still take real (short) time.
/// </summary>
internal sealed class OffsetTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
}

/// <summary>The self-signed TLS certificate of the fake APNs/FCM servers, made in code (127.0.0.1 and localhost).</summary>
internal static class TestCertificate
{
    private static readonly Lazy<X509Certificate2> Instance = new(Create);

    public static X509Certificate2 Localhost => Instance.Value;

    private static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=commeazy-test-fakes", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }
}

/// <summary>
/// The gateway's push providers in a host wired like the real service (ServiceDefaults first, then
/// <c>AddPushProviders</c>), with FakeLogger capturing every log line and the fakes' certificate trusted.
/// </summary>
internal sealed class PushTestHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _started;

    private PushTestHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public FakeLogCollector Logs => _host.Services.GetFakeLogCollector();

    public PushProviderRouter Router => Services.GetRequiredService<PushProviderRouter>();

    public IPushProvider Provider(string name) => Services.GetServices<IPushProvider>().Single(p => p.Name == name);

    public MetricCollector<T> Collect<T>(string instrument) where T : struct =>
        new(Services.GetRequiredService<IMeterFactory>(), PushGatewayMetrics.Name, instrument);

    public static async Task<PushTestHost> StartAsync(IReadOnlyDictionary<string, string?> settings, TimeProvider time, Action<IServiceCollection>? configure = null,
        Action<IHostApplicationBuilder>? extend = null)
    {
        var host = Build(settings, time, configure, extend);
        await host.StartHostAsync();
        return host;
    }

    /// <summary>Builds without starting (to test startup validation); <paramref name="extend"/> adds more of the gateway after the providers.</summary>
    public static PushTestHost Build(IReadOnlyDictionary<string, string?> settings, TimeProvider time, Action<IServiceCollection>? configure = null,
        Action<IHostApplicationBuilder>? extend = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
            ApplicationName = "CommEazy.PushGateway",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFakeLogging();
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(new ProviderServerCertificateTrust(TestCertificate.Localhost));
        configure?.Invoke(builder.Services);
        builder.AddPushProviders();
        extend?.Invoke(builder);
        return new PushTestHost(builder.Build());
    }

    public async Task StartHostAsync()
    {
        await _host.StartAsync(TestContext.Current.CancellationToken);
        _started = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await _host.StopAsync(CancellationToken.None);
        }
        _host.Dispose();
    }
}
