using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CommEazy.PushGateway;
using CommEazy.PushGateway.Providers;
using CommEazy.PushGateway.Registrations;
using CommEazy.Tests.Fakes.Apns;
using CommEazy.Tests.Fakes.Prosody;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// Benchmark, not a test: runs only when asked (<c>COMMEAZY_PUSH_BENCHMARK=1</c>; it loads both cores for about a
/// minute, which the shared CI machine should not pay on every run) and asserts nothing about speed. It pushes to the
/// fake APNs over one HTTP/2 connection three ways, in alternating rounds at the same concurrency, and prints pushes per
/// second and latency for each: a bare HttpClient sending the same requests (the baseline), the gateway's APNs provider
/// (<c>SendAsync</c>), and the whole gateway — a XEP-0357 publish IQ from a fake Prosody over the XEP-0114 link,
/// parsed, resolved to a registration (in memory: the PostgreSQL lookup is not measured), pushed, answered. The
/// gateway's added latency is its P50/P99 minus the baseline's. Goal on this machine: ≥ 5 000 pushes/s, P99 added
/// ≤ 20 ms. Also counts the provider JWTs minted and the TCP connections opened during the measured rounds.
/// <code>COMMEAZY_PUSH_BENCHMARK=1 dotnet test CommEazy.Tests --filter "FullyQualifiedName~PushGatewayBenchmark" --logger "console;verbosity=detailed"</code>
/// </summary>
public sealed class PushGatewayBenchmark(ITestOutputHelper output)
{
    private const string EnvironmentVariable = "COMMEAZY_PUSH_BENCHMARK";
    private const int Rounds = 3;

    [Fact]
    public async Task Run_ApnsThroughOneConnection_PrintsThroughputAndAddedLatency()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable(EnvironmentVariable) == "1",
            $"a benchmark: set {EnvironmentVariable}=1 to run it");
        var pushes = int.TryParse(Environment.GetEnvironmentVariable("COMMEAZY_PUSH_BENCHMARK_PUSHES"), out var n) ? n : 30_000;
        var concurrency = int.TryParse(Environment.GetEnvironmentVariable("COMMEAZY_PUSH_BENCHMARK_CONCURRENCY"), out var c) ? c : 32;
        var ct = TestContext.Current.CancellationToken;

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var apns = await ApnsTestBed.StartFakeAsync(key, TimeProvider.System);
        var tokens = Enumerable.Range(0, 1024).Select(_ => ApnsTestBed.NewDeviceToken()).ToArray();

        // Baseline: a bare HTTP/2 client sending what the gateway sends, with one JWT minted up front.
        using var bareClient = new HttpClient(new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            SslOptions = { RemoteCertificateValidationCallback = new ProviderServerCertificateTrust(TestCertificate.Localhost).Validate },
        })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var jwt = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = ApnsTestBed.TeamId,
            IssuedAt = DateTime.UtcNow,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = ApnsTestBed.KeyId }, SecurityAlgorithms.EcdsaSha256),
        });
        var body = Encoding.UTF8.GetBytes("""{"aps":{"alert":{"loc-key":"NEW_MESSAGE"},"sound":"default"},"kind":"message"}""");
        async Task<bool> BareSend(string token)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(apns.BaseAddress, "/3/device/" + token))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            message.Headers.TryAddWithoutValidation("authorization", "bearer " + jwt);
            message.Headers.TryAddWithoutValidation("apns-push-type", "alert");
            message.Headers.TryAddWithoutValidation("apns-topic", ApnsTestBed.BundleId);
            message.Headers.TryAddWithoutValidation("apns-priority", "10");
            message.Headers.TryAddWithoutValidation("apns-expiration", DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            message.Headers.TryAddWithoutValidation("apns-collapse-id", "message-waiting");
            using var response = await bareClient.SendAsync(message, ct);
            return response.IsSuccessStatusCode;
        }

        // The gateway as the service runs it: ServiceDefaults (telemetry, default resilience), AddPushProviders and
        // AddComponentLinks, linked to a fake Prosody node; one registration per token.
        await using var prosody = new FakeComponentServer(ComponentTestBed.Jid, ComponentTestBed.Secret, ComponentTestBed.Domain);
        var registrations = new InMemoryPushRegistrationStore();
        var devices = tokens.Select(t => registrations.Add(PushPlatform.Apns, t)).ToArray();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "CommEazy.PushGateway" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Push:Apns:KeyId"] = ApnsTestBed.KeyId,
            ["Push:Apns:TeamId"] = ApnsTestBed.TeamId,
            ["Push:Apns:PrivateKey"] = key.ExportPkcs8PrivateKeyPem(),
            ["Push:Apns:Endpoint"] = apns.BaseAddress.AbsoluteUri,
            ["Push:Component:Jid"] = ComponentTestBed.Jid,
            ["Push:Component:Secret"] = ComponentTestBed.Secret,
            ["Push:Component:XmppDomain"] = ComponentTestBed.Domain,
            ["Push:Component:Nodes:0:Id"] = "prosody-1",
            ["Push:Component:Nodes:0:Address"] = prosody.Address.AbsoluteUri,
        });
        builder.AddServiceDefaults();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new ProviderServerCertificateTrust(TestCertificate.Localhost));
        builder.Services.AddSingleton<IPushRegistrationStore>(registrations);
        builder.AddPushProviders();
        builder.AddComponentLinks();
        using var host = builder.Build();
        await host.StartAsync(ct);
        var link = await prosody.NextSessionAsync(TimeSpan.FromSeconds(10));
        using var minted = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), PushGatewayMetrics.Name, PushGatewayMetrics.ApnsJwtMintedInstrument);
        var provider = host.Services.GetServices<IPushProvider>().Single(p => p.Name == "apns");
        async Task<bool> ProviderSend(int i) =>
            (await provider.SendAsync(new PushRequest(PushPlatform.Apns, tokens[i], ApnsTestBed.BundleId, PushEnvironment.Production, PushKind.MessageWaiting), ct)).Outcome == PushOutcome.Delivered;
        async Task<bool> GatewaySend(int i) =>
            (await link.PublishAsync(devices[i].Node, devices[i].Secret)).Attribute("type")?.Value == "result";

        // Warm all up (connections, JIT tiers), then alternate the rounds so drift hits each alike.
        await RunAsync(i => BareSend(tokens[i]), tokens.Length, 30_000, concurrency);
        await RunAsync(ProviderSend, tokens.Length, 30_000, concurrency);
        await RunAsync(GatewaySend, tokens.Length, 30_000, concurrency);
        var connectionsAfterWarmUp = apns.ConnectionCount;
        var mintedAfterWarmUp = minted.GetMeasurementSnapshot().Sum(m => m.Value);
        var baselines = new List<RunResult>();
        var providers = new List<RunResult>();
        var gateways = new List<RunResult>();
        for (var round = 0; round < Rounds; round++)
        {
            baselines.Add(await RunAsync(i => BareSend(tokens[i]), tokens.Length, pushes, concurrency));
            providers.Add(await RunAsync(ProviderSend, tokens.Length, pushes, concurrency));
            gateways.Add(await RunAsync(GatewaySend, tokens.Length, pushes, concurrency));
        }
        await host.StopAsync(CancellationToken.None);

        var baseline = RunResult.Median(baselines);
        var providerOnly = RunResult.Median(providers);
        var gateway = RunResult.Median(gateways);
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture,
                $"push gateway benchmark: {Rounds} rounds × {pushes} pushes, {concurrency} in flight, fake APNs over HTTP/2 + TLS and fake Prosody over XEP-0114 on 127.0.0.1 (same process), {Environment.ProcessorCount} cores")
            .AppendJoin(Environment.NewLine, Enumerable.Range(0, Rounds).Select(i => string.Join(Environment.NewLine,
                baselines[i].Describe($"round {i + 1} bare HttpClient"), providers[i].Describe($"round {i + 1} APNs provider"), gateways[i].Describe($"round {i + 1} whole gateway"))))
            .AppendLine()
            .AppendLine(baseline.Describe("median bare HttpClient"))
            .AppendLine(providerOnly.Describe("median APNs provider"))
            .AppendLine(gateway.Describe("median whole gateway"))
            .AppendLine(CultureInfo.InvariantCulture,
                $"APNs provider added latency: P50 {providerOnly.P50 - baseline.P50:F2} ms, P99 {providerOnly.P99 - baseline.P99:F2} ms")
            .AppendLine(CultureInfo.InvariantCulture,
                $"whole gateway added latency (publish IQ in, answer out, fake Prosody's own XML work included): P50 {gateway.P50 - baseline.P50:F2} ms, P99 {gateway.P99 - baseline.P99:F2} ms (goal P99 ≤ 20 ms)")
            .AppendLine(CultureInfo.InvariantCulture,
                $"whole gateway throughput: {gateway.PerSecond:F0} pushes/s (goal ≥ 5000), {gateway.PerSecond / baseline.PerSecond:P0} of the bare client's; APNs provider alone {providerOnly.PerSecond:F0} pushes/s")
            .AppendLine(CultureInfo.InvariantCulture,
                $"provider JWTs minted: {minted.GetMeasurementSnapshot().Sum(m => m.Value)} in all, {minted.GetMeasurementSnapshot().Sum(m => m.Value) - mintedAfterWarmUp} during the measured rounds; new TCP connections to the fake APNs during the measured rounds: {apns.ConnectionCount - connectionsAfterWarmUp}")
            .ToString();
        output.WriteLine(report);
        TestContext.Current.SendDiagnosticMessage(report);
        Assert.Empty(apns.ProtocolViolations);
        Assert.Empty(prosody.ProtocolViolations);
        Assert.All(providers.Concat(gateways), g => Assert.Equal(0, g.Failures));
    }

    /// <summary>Runs <paramref name="count"/> sends, <paramref name="concurrency"/> at a time; each gets an index below <paramref name="devices"/>.</summary>
    private static async Task<RunResult> RunAsync(Func<int, Task<bool>> send, int devices, int count, int concurrency)
    {
        var latencies = new double[count];
        var next = -1;
        var failures = 0;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var started = Stopwatch.GetTimestamp();
                if (!await send(i % devices))
                {
                    Interlocked.Increment(ref failures);
                }
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        total.Stop();
        Array.Sort(latencies);
        return new RunResult(count / total.Elapsed.TotalSeconds, latencies[count / 2], latencies[(int)(count * 0.99)], latencies[^1], failures);
    }

    private sealed record RunResult(double PerSecond, double P50, double P99, double Max, int Failures)
    {
        public static RunResult Median(IReadOnlyList<RunResult> runs)
        {
            static double Mid(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
            return new RunResult(Mid(runs.Select(r => r.PerSecond)), Mid(runs.Select(r => r.P50)), Mid(runs.Select(r => r.P99)),
                Mid(runs.Select(r => r.Max)), runs.Sum(r => r.Failures));
        }

        public string Describe(string name) => string.Create(CultureInfo.InvariantCulture,
            $"{name,-28} {PerSecond,8:F0} pushes/s   P50 {P50,6:F2} ms   P99 {P99,6:F2} ms   max {Max,7:F2} ms   failures {Failures}");
    }
}
