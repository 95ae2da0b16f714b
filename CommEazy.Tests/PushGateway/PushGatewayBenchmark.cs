using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CommEazy.PushGateway;
using CommEazy.PushGateway.Providers;
using CommEazy.Tests.Fakes.Apns;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// Benchmark, not a test: runs only when asked (<c>COMMEAZY_PUSH_BENCHMARK=1</c>) and asserts nothing about speed.
/// It pushes through one gateway APNs provider to the fake APNs over one HTTP/2 connection and prints pushes per
/// second and the gateway's added latency: P50/P99 of <c>SendAsync</c> minus P50/P99 of a bare HttpClient sending
/// the same requests (same fake, same connection settings, same concurrency) measured in the same run. Goal on this
/// machine: ≥ 5 000 pushes/s, P99 added ≤ 20 ms. Also counts the provider JWTs minted during the run.
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
        var publicKey = new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(false))) { KeyId = ApnsTestBed.KeyId };
        await using var apns = await FakeApnsServer.StartAsync(
            new FakeApnsSettings(ApnsTestBed.TeamId, ApnsTestBed.KeyId, publicKey, ApnsTestBed.BundleId, TimeProvider.System, TestCertificate.Localhost), ct);
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

        // The gateway as the service runs it: ServiceDefaults (telemetry, default resilience) + AddPushProviders.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "CommEazy.PushGateway" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Push:Apns:KeyId"] = ApnsTestBed.KeyId,
            ["Push:Apns:TeamId"] = ApnsTestBed.TeamId,
            ["Push:Apns:PrivateKey"] = key.ExportPkcs8PrivateKeyPem(),
            ["Push:Apns:Endpoint"] = apns.BaseAddress.AbsoluteUri,
        });
        builder.AddServiceDefaults();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new ProviderServerCertificateTrust(TestCertificate.Localhost));
        builder.AddPushProviders();
        using var host = builder.Build();
        await host.StartAsync(ct);
        using var minted = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), PushGatewayMetrics.Name, PushGatewayMetrics.ApnsJwtMintedInstrument);
        var provider = host.Services.GetServices<IPushProvider>().Single(p => p.Name == "apns");
        async Task<bool> GatewaySend(string token) =>
            (await provider.SendAsync(new PushRequest(PushPlatform.Apns, token, ApnsTestBed.BundleId, PushEnvironment.Production, PushKind.MessageWaiting), ct)).Outcome == PushOutcome.Delivered;

        // Warm both up (connections, JIT tiers), then alternate baseline and gateway rounds so drift hits both alike.
        await RunAsync(BareSend, tokens, 30_000, concurrency);
        await RunAsync(GatewaySend, tokens, 30_000, concurrency);
        var connectionsAfterWarmUp = apns.ConnectionCount;
        var mintedAfterWarmUp = minted.GetMeasurementSnapshot().Sum(m => m.Value);
        var baselines = new List<RunResult>();
        var gateways = new List<RunResult>();
        for (var round = 0; round < Rounds; round++)
        {
            baselines.Add(await RunAsync(BareSend, tokens, pushes, concurrency));
            gateways.Add(await RunAsync(GatewaySend, tokens, pushes, concurrency));
        }
        await host.StopAsync(CancellationToken.None);

        var baseline = RunResult.Median(baselines);
        var gateway = RunResult.Median(gateways);
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture,
                $"push gateway benchmark: {Rounds} rounds × {pushes} pushes, {concurrency} in flight, fake APNs over HTTP/2 + TLS on 127.0.0.1 (same process), {Environment.ProcessorCount} cores")
            .AppendJoin(Environment.NewLine, baselines.Select((r, i) => r.Describe($"round {i + 1} bare HttpClient")).Zip(gateways.Select((r, i) => r.Describe($"round {i + 1} gateway")), (a, b) => a + Environment.NewLine + b))
            .AppendLine()
            .AppendLine(baseline.Describe("median bare HttpClient"))
            .AppendLine(gateway.Describe("median gateway"))
            .AppendLine(CultureInfo.InvariantCulture,
                $"gateway added latency: P50 {gateway.P50 - baseline.P50:F2} ms, P99 {gateway.P99 - baseline.P99:F2} ms (goal P99 ≤ 20 ms)")
            .AppendLine(CultureInfo.InvariantCulture,
                $"gateway throughput: {gateway.PerSecond:F0} pushes/s (goal ≥ 5000), {gateway.PerSecond / baseline.PerSecond:P0} of the bare client's")
            .AppendLine(CultureInfo.InvariantCulture,
                $"provider JWTs minted: {minted.GetMeasurementSnapshot().Sum(m => m.Value)} in all, {minted.GetMeasurementSnapshot().Sum(m => m.Value) - mintedAfterWarmUp} during the measured rounds; new TCP connections to the fake APNs during the measured rounds: {apns.ConnectionCount - connectionsAfterWarmUp}")
            .ToString();
        output.WriteLine(report);
        TestContext.Current.SendDiagnosticMessage(report);
        Assert.Empty(apns.ProtocolViolations);
        Assert.All(gateways, g => Assert.Equal(0, g.Failures));
    }

    private static async Task<RunResult> RunAsync(Func<string, Task<bool>> send, string[] tokens, int count, int concurrency)
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
                if (!await send(tokens[i % tokens.Length]))
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
