using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;

namespace CommEazy.Tests.Fixtures;

/// <summary>
/// The real CommEazy AppHost (PostgreSQL and its replica, Prosody, Coturn, Edge, AuthBridge, PushGateway, Prometheus and
/// its exporters) started once for every
/// integration test in the <see cref="CommEazyCluster"/> collection. Ports, secrets and volumes are fresh for
/// each run, so it never touches a developer's own <c>dotnet run</c> cluster.
/// </summary>
public sealed class CommEazyAppFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);

    private DistributedApplication? _app;
    private PushFakes? _push;
    private Exception? _startFailure;
    private readonly List<string> _volumes = [];

    /// <summary>
    /// The running app. A start failure is thrown here, inside each test, rather than from <see cref="InitializeAsync"/>:
    /// under <c>dotnet test</c> (VSTest) a collection fixture that throws makes its tests vanish from the report
    /// instead of failing it.
    /// </summary>
    public DistributedApplication App => _startFailure is not null
        ? throw new InvalidOperationException("the CommEazy cluster did not start: " + _startFailure.Message, _startFailure)
        : _app ?? throw new InvalidOperationException(DockerEnvironment.SkipReason ?? "the cluster did not start");
    public int EdgePort { get; } = FreeTcpPort();
    /// <summary>The Edge's public TLS port, serving <see cref="EdgeCertificate"/>.</summary>
    public int EdgeHttpsPort { get; } = FreeTcpPort();
    /// <summary>A throwaway CA and the Edge's certificate for this run (PEM files, deleted at the end).</summary>
    public EdgeTlsCertificate EdgeCertificate { get; private set; } = null!;

    /// <summary>
    /// The proxy the Edge believes X-Forwarded-For from in this cluster: 127.0.0.1, so a test can claim client addresses;
    /// not ::1, so a request from ::1 is an untrusted source whose header must be ignored.
    /// </summary>
    public const string EdgeTrustedProxy = "127.0.0.1";

    /// <summary>
    /// The Edge's cap on connections per client address in this cluster: above what any test holds at once from one
    /// loopback address (the reconnect storm: ~200 apps), yet reachable by a test through forwarded addresses.
    /// </summary>
    public const int EdgeConnectionsPerAddress = 250;
    public int AuthBridgePort { get; } = FreeTcpPort();

    /// <summary>
    /// The AuthBridge's per-address rate limit in this cluster (burst and per second): every app of every test signs in
    /// from 127.0.0.1, hundreds within seconds (the reconnect storm: 200 apps), which the production default (30, 10/s)
    /// would refuse. The limit itself is tested in memory (<c>AuthBridge/ClientRateLimitTests</c>).
    /// </summary>
    public const int AuthBridgeRequestsPerAddress = 100_000;
    /// <summary>Coturn's published STUN/TURN port (UDP and TCP), what Prosody tells apps.</summary>
    public int TurnPort { get; } = FreeTcpPort();
    public FakeLogCollector Logs { get; private set; } = null!;

    /// <summary>The Prosody nodes' resource names (<c>prosody-1</c> … as many as CommEazy:ProsodyNodes), which are also their cluster member ids.</summary>
    public IReadOnlyList<string> Nodes { get; private set; } = [];

    /// <summary>Receives the OTLP export (traces) of the C# services, as the Aspire dashboard would.</summary>
    public OtlpReceiver Telemetry { get; private set; } = null!;

    /// <summary>Resources a test killed on purpose, and when (their orchestrator errors are expected from then on).</summary>
    public System.Collections.Concurrent.ConcurrentBag<(string Resource, DateTimeOffset At)> Killed { get; } = [];

    /// <summary>The fake APNs and FCM the PushGateway delivers to.</summary>
    public PushFakes Push => _push ?? throw new InvalidOperationException("the cluster did not start");

    /// <summary>The Edge's admission per node in this test cluster: low, so that a reconnect storm really queues and refuses.</summary>
    public int EdgeAdmissionRate => 10;
    public int EdgeAdmissionBurst => 3;

    /// <summary>When every resource had become healthy.</summary>
    public DateTimeOffset ReadyAt { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (DockerEnvironment.SkipReason is not null)
        {
            return;
        }
        try
        {
            await StartAsync();
        }
        catch (Exception e)
        {
            _startFailure = e;
        }
    }

    private async Task StartAsync()
    {
        _push = await PushFakes.StartAsync();
        EdgeCertificate = EdgeTlsCertificate.Create();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CommEazy_AppHost>(
            [$"--CommEazy:EdgePort={EdgePort}", $"--CommEazy:AuthBridgePort={AuthBridgePort}", $"--CommEazy:TurnPort={TurnPort}",
             "--CommEazy:PrometheusScrapeInterval=2s", "--CommEazy:PostgresReplica=true",
             $"--CommEazy:Edge:AdmissionRatePerNode={EdgeAdmissionRate}", $"--CommEazy:Edge:AdmissionBurstPerNode={EdgeAdmissionBurst}",
             "--CommEazy:Edge:AdmissionQueuePerNode=10", "--CommEazy:Edge:AdmissionRetryJitterSeconds=2",
             $"--CommEazy:AuthBridge:RequestBurstPerAddress={AuthBridgeRequestsPerAddress}",
             $"--CommEazy:AuthBridge:RequestsPerSecondPerAddress={AuthBridgeRequestsPerAddress}",
             .. _push.AppHostArguments(), .. EdgePublicFaceArguments()],
            (options, _) => options.DisableDashboard = true);
        builder.WithRandomSecretParameters().WithRandomVolumeNames(_volumes);
        // After the random secrets: the push providers' keys must match what the fakes check.
        foreach (var (name, value) in _push.Parameters())
        {
            builder.Configuration[$"Parameters:{name}"] = value;
        }
        builder.CreateResourceBuilder<ProjectResource>("pushgateway").WithEnvironment("SSL_CERT_FILE", _push.CaBundlePath);
        // The services export traces here, as they would to the dashboard (which tests run without).
        Telemetry = await OtlpReceiver.StartAsync();
        builder.WithOtlpExportTo(Telemetry.Endpoint);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information).AddFakeLogging());
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());

        Nodes = [.. builder.Resources.OfType<ContainerResource>().Select(r => r.Name)
            .Where(n => System.Text.RegularExpressions.Regex.IsMatch(n, "^prosody-[0-9]+$")).Order(StringComparer.Ordinal)];
        _app = await builder.BuildAsync();
        Logs = _app.Services.GetFakeLogCollector();
        using var cts = new CancellationTokenSource(StartTimeout);
        await _app.StartAsync(cts.Token);
        foreach (var resource in (string[])["postgres", .. Nodes, .. HealthyServices])
        {
            try
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
            }
            catch (Exception e) when (e is DistributedApplicationException or OperationCanceledException)
            {
                throw new InvalidOperationException($"{resource} did not become healthy ({e.Message}). Its last log lines:\n{LastLines(resource, 40)}", e);
            }
        }
        ReadyAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The Edge's public face in this cluster: TLS with <see cref="EdgeCertificate"/>, the trusted proxy, the per-address cap.</summary>
    private string[] EdgePublicFaceArguments() =>
    [
        $"--CommEazy:EdgeHttpsPort={EdgeHttpsPort}",
        $"--CommEazy:Edge:PublicCertificatePath={EdgeCertificate.CertificatePath}",
        $"--CommEazy:Edge:PublicCertificateKeyPath={EdgeCertificate.KeyPath}",
        $"--CommEazy:Edge:TrustedProxies:0={EdgeTrustedProxy}",
        $"--CommEazy:Edge:ConnectionsPerAddress={EdgeConnectionsPerAddress}",
    ];

    /// <summary>What must be healthy besides the database and the nodes before a test runs (the replica has no health check: its test waits for its data).</summary>
    private static readonly string[] HealthyServices = ["coturn", "authbridge", "edge", "pushgateway", "postgres-exporter", "prometheus"];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Telemetry is not null)
        {
            await Telemetry.DisposeAsync();
        }
        if (_push is not null)
        {
            await _push.DisposeAsync();
        }
        await DockerEnvironment.RemoveVolumesAsync(_volumes);
        EdgeCertificate?.Dispose();
    }

    /// <summary>The value a parameter has in this run (secrets are random per run).</summary>
    public string Parameter(string name) =>
        App.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()[$"Parameters:{name}"]
            ?? throw new InvalidOperationException($"parameter {name} has no value");

    /// <summary>The id of a running container resource, for <c>docker exec</c>.</summary>
    public string ContainerId(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? state.Snapshot.Properties.Single(p => p.Name == "container.id").Value?.ToString() ?? throw new InvalidOperationException($"{resource} has no container id")
            : throw new InvalidOperationException($"{resource} is not known to the app host");

    private string LastLines(string resource, int count) =>
        string.Join('\n', Logs.GetSnapshot().Where(r => r.Category == $"CommEazy.AppHost.Resources.{resource}").TakeLast(count).Select(r => r.Message));

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Integration tests that share one running cluster.</summary>
[CollectionDefinition(nameof(CommEazyCluster))]
public sealed class CommEazyCluster : ICollectionFixture<CommEazyAppFixture>;
