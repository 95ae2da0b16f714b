using System.Threading.Channels;
using CommEazy.Edge.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Tests.Edge;

/// <summary>
/// The policy inside YARP's own active health check monitor: a real proxy probes a real HTTP node on loopback every
/// 50 ms, and the node holds each probe until the test decides its answer, so every round is known exactly. What a
/// client sees is the proxy's answer (the node's, or 503 once no node is available).
/// </summary>
public sealed class FallRiseActiveHealthCheckTests : IAsyncLifetime
{
    private const string ClusterId = "prosody";
    private const string NodeId = "prosody-1";

    private readonly Channel<TaskCompletionSource<int>> _probes = Channel.CreateUnbounded<TaskCompletionSource<int>>();
    private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource<int>> _held = new();
    private WebApplication? _node;
    private WebApplication? _proxy;
    private HttpClient? _client;

    public async ValueTask InitializeAsync()
    {
        _node = Loopback();
        _node.MapGet("/probe", async () =>
        {
            var answer = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            _held.Enqueue(answer);
            // Once the test is over nobody answers: pass at once, so the proxy stops without waiting for its timeout.
            return Results.StatusCode(_probes.Writer.TryWrite(answer) ? await answer.Task : StatusCodes.Status200OK);
        });
        _node.MapGet("/hello", () => NodeId);
        await _node.StartAsync();

        _proxy = Loopback(services => services
            .AddSingleton<IActiveHealthCheckPolicy, FallRiseHealthPolicy>()
            .AddReverseProxy()
            .LoadFromMemory(
                [new RouteConfig { RouteId = "hello", ClusterId = ClusterId, Match = new RouteMatch { Path = "/hello" } }],
                [new ClusterConfig
                {
                    ClusterId = ClusterId,
                    Destinations = new Dictionary<string, DestinationConfig> { [NodeId] = new() { Address = AddressOf(_node) } },
                    HealthCheck = new HealthCheckConfig
                    {
                        // As the Edge: a node that is out is out, even when it is the last one (YARP's default "panics").
                        AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
                        Active = new ActiveHealthCheckConfig
                        {
                            Enabled = true,
                            Interval = TimeSpan.FromMilliseconds(50),
                            Timeout = TimeSpan.FromSeconds(30), // the node holds each probe until the test answers it
                            Path = "/probe",
                            Policy = HealthCheckPolicyNames.FallRise,
                        },
                    },
                }]));
        _proxy.MapReverseProxy();
        await _proxy.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(AddressOf(_proxy)) };
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        // Release the probe still held, so the proxy's monitor stops without waiting for its timeout.
        _probes.Writer.TryComplete();
        foreach (var held in _held)
        {
            held.TrySetResult(StatusCodes.Status200OK);
        }
        foreach (var app in new[] { _proxy, _node })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
    }

    private static WebApplication Loopback(Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    private static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();

    /// <summary>Waits for the monitor's next probe, which it sends only after the previous round's verdict is applied.</summary>
    private async Task<TaskCompletionSource<int>> NextProbe() =>
        await _probes.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

    private DestinationState Node()
    {
        Assert.True(_proxy!.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster(ClusterId, out var cluster));
        return cluster.Destinations[NodeId];
    }

    private int Available()
    {
        Assert.True(_proxy!.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster(ClusterId, out var cluster));
        return cluster.DestinationsState.AvailableDestinations.Count;
    }

    [Fact]
    public async Task NodeFailsThreeProbes_OutUntilItPassesTwiceInARow()
    {
        // Arrange: probe answers, round by round, and the node's health and availability after each round.
        (int Status, DestinationHealth After)[] rounds =
        [
            (200, DestinationHealth.Healthy),
            (503, DestinationHealth.Healthy),
            (503, DestinationHealth.Healthy),
            (503, DestinationHealth.Unhealthy),  // fall 3
            (200, DestinationHealth.Unhealthy),
            (503, DestinationHealth.Unhealthy),  // a flap starts the rise again
            (200, DestinationHealth.Unhealthy),
            (200, DestinationHealth.Healthy),    // rise 2
        ];
        var seen = new List<(DestinationHealth Health, int Available, int ClientStatus)>();

        // Act
        var probe = await NextProbe();
        foreach (var (status, _) in rounds)
        {
            probe.SetResult(status);
            probe = await NextProbe();
            using var response = await _client!.GetAsync("/hello", TestContext.Current.CancellationToken);
            seen.Add((Node().Health.Active, Available(), (int)response.StatusCode));
        }

        // Assert
        Assert.Equal([.. rounds.Select(r => r.After)], seen.Select(s => s.Health));
        Assert.Equal([.. rounds.Select(r => r.After == DestinationHealth.Healthy ? 1 : 0)], seen.Select(s => s.Available));
        Assert.Equal([.. rounds.Select(r => r.After == DestinationHealth.Healthy ? 200 : 503)], seen.Select(s => s.ClientStatus));
    }
}
