using System.Diagnostics;
using System.Diagnostics.Metrics;
using CommEazy.Edge;
using CommEazy.Edge.Admission;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommEazy.Tests.Edge;

/// <summary>The Edge's admission per node: a burst, then the rate; the queue waits its turn; beyond it, refusal.</summary>
public sealed class NodeAdmissionTests
{
    private static NodeAdmission Admission(int rate, int burst, int queue)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = Options.Create(new EdgeOptions
        {
            AdmissionRatePerNode = rate, AdmissionBurstPerNode = burst, AdmissionQueuePerNode = queue, AdmissionRetryJitterSeconds = 2,
        });
        return new NodeAdmission(options, new EdgeMetrics(services.GetRequiredService<IMeterFactory>(), new NoProxyState()));
    }

    [Fact]
    public async Task AdmitAsync_Crowd_AdmitsBurstThenRateAndRefusesBeyondTheQueue()
    {
        // Arrange
        using var admission = Admission(rate: 10, burst: 3, queue: 10);
        var clock = Stopwatch.StartNew();

        // Act: 30 connections to one node at once.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
        {
            using var lease = await admission.AdmitAsync("prosody-1", TestContext.Current.CancellationToken);
            return (Admitted: lease is not null, At: clock.Elapsed);
        }));

        // Assert: 3 at once, 10 more at 10/s, the other 17 refused at once.
        var admitted = attempts.Where(a => a.Admitted).Select(a => a.At).Order().ToList();
        Assert.Equal(13, admitted.Count);
        Assert.Equal(17, attempts.Count(a => !a.Admitted));
        Assert.All(admitted.Take(3), at => Assert.True(at < TimeSpan.FromMilliseconds(90), $"a burst admission waited {at}"));
        Assert.True(admitted[^1] >= TimeSpan.FromMilliseconds(900), $"the queue drained in {admitted[^1]}: faster than 10/s");
        // Another node has its own bucket.
        using var other = await admission.AdmitAsync("prosody-2", TestContext.Current.CancellationToken);
        Assert.NotNull(other);
    }

    [Fact]
    public void RetryAfterWithJitter_QueueDrainTimePlusJitter()
    {
        using var admission = Admission(rate: 10, burst: 3, queue: 30);

        var values = Enumerable.Range(0, 200).Select(_ => admission.RetryAfterWithJitter()).ToList();

        Assert.All(values, v => Assert.InRange(v, 3, 5));
        Assert.True(values.Distinct().Count() > 1, "no jitter");
    }

    private sealed class NoProxyState : Yarp.ReverseProxy.IProxyStateLookup
    {
        public bool TryGetRoute(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Yarp.ReverseProxy.Model.RouteModel? route) { route = null; return false; }
        public IEnumerable<Yarp.ReverseProxy.Model.RouteModel> GetRoutes() => [];
        public bool TryGetCluster(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Yarp.ReverseProxy.Model.ClusterState? cluster) { cluster = null; return false; }
        public IEnumerable<Yarp.ReverseProxy.Model.ClusterState> GetClusters() => [];
    }
}
