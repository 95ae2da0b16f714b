using System.Net;
using System.Runtime.CompilerServices;
using CommEazy.Edge;
using CommEazy.Edge.Health;
using CommEazy.Edge.Routing;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Tests.Edge;

/// <summary>
/// The Edge's active health policy, YARP-style: probe results handed to <see cref="IActiveHealthCheckPolicy.ProbingCompleted"/>
/// and a fake <see cref="IDestinationHealthUpdater"/> that applies what the policy decides, no proxy, no Aspire.
/// </summary>
public sealed class FallRiseHealthPolicyTests
{
    private readonly RecordingHealthUpdater _updater = new();
    private readonly FallRiseHealthPolicy _policy;
    private readonly ClusterState _cluster = new(ProsodyProxyConfigProvider.ClusterId);
    private readonly DestinationState _node = new("prosody-1");

    public FallRiseHealthPolicyTests() => _policy = new(_updater);

    /// <summary>Applies each decision to the destination, as YARP's own updater does, and counts the calls.</summary>
    private sealed class RecordingHealthUpdater : IDestinationHealthUpdater
    {
        public int SetActiveCalls { get; private set; }

        public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
        {
            SetActiveCalls++;
            foreach (var state in newHealthStates)
            {
                state.Destination.Health.Active = state.NewActiveHealth;
            }
        }

        public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod) =>
            throw new InvalidOperationException("an active policy never sets passive health");
    }

    private static DestinationProbingResult Pass(DestinationState node) => new(node, new HttpResponseMessage(HttpStatusCode.OK), null);

    private static DestinationProbingResult Fail(DestinationState node) => new(node, new HttpResponseMessage(HttpStatusCode.ServiceUnavailable), null);

    /// <summary>Runs one probe round per letter ('+' passed, '-' failed) and returns the node's health after each.</summary>
    private string Rounds(string probes)
    {
        var seen = new System.Text.StringBuilder();
        foreach (var probe in probes)
        {
            _policy.ProbingCompleted(_cluster, [probe == '+' ? Pass(_node) : Fail(_node)]);
            seen.Append(_node.Health.Active switch
            {
                DestinationHealth.Healthy => 'H',
                DestinationHealth.Unhealthy => 'U',
                _ => '?',
            });
        }
        return seen.ToString();
    }

    [Fact]
    public void Name_IsTheOneTheEdgeClusterConfigUses()
    {
        // Arrange
        var edge = Options.Create(new EdgeOptions { Nodes = [new ProsodyNode { Id = "prosody-1", Address = "http://127.0.0.1:1" }] });

        // Act
        var active = new ProsodyProxyConfigProvider(edge).GetConfig().Clusters.Single().HealthCheck?.Active;

        // Assert: HAProxy's "inter 5s" is kept.
        Assert.Equal(HealthCheckPolicyNames.FallRise, _policy.Name);
        Assert.Equal(_policy.Name, active?.Policy);
        Assert.Equal(TimeSpan.FromSeconds(5), active?.Interval);
    }

    [Fact]
    public void ProbingCompleted_UnknownNodePasses_HealthyAtOnce()
    {
        // Act / Assert
        Assert.Equal("H", Rounds("+"));
    }

    [Fact]
    public void ProbingCompleted_ThreeFailuresInARow_UnhealthyOnlyAtTheThird()
    {
        // Act / Assert
        Assert.Equal("HHHU", Rounds("+---"));
    }

    [Fact]
    public void ProbingCompleted_UnknownNodeFailsThreeTimes_Unhealthy()
    {
        // Act / Assert: a node down from the start is not judged on one probe either.
        Assert.Equal("??U", Rounds("---"));
    }

    [Fact]
    public void ProbingCompleted_UnhealthyNodePassesTwiceInARow_HealthyOnlyAtTheSecond()
    {
        // Act / Assert: YARP's ConsecutiveFailures would say healthy at the first pass.
        Assert.Equal("HHHUUH", Rounds("+---++"));
    }

    [Fact]
    public void ProbingCompleted_FailureBetweenPasses_RiseStartsAgain()
    {
        // Act / Assert: a flapping node stays out until it passes twice in a row.
        Assert.Equal("HHHUUUUH", Rounds("+---+-++"));
    }

    [Fact]
    public void ProbingCompleted_PassBetweenFailures_FallStartsAgain()
    {
        // Act / Assert: a node that fails now and then stays in until it fails three times in a row.
        Assert.Equal("HHHHHHU", Rounds("+--+---"));
    }

    public static TheoryData<string> FailedProbes => ["503", "404", "302", "timeout", "refused"];

    [Theory]
    [MemberData(nameof(FailedProbes))]
    public void ProbingCompleted_ErrorStatusTimeoutOrNoConnection_CountsAsFailure(string kind)
    {
        // Arrange: the monitor passes the response, or none and the exception.
        DestinationProbingResult Probe() => kind switch
        {
            "timeout" => new(_node, null, new TaskCanceledException("probe timed out")),
            "refused" => new(_node, null, new HttpRequestException("Connection refused")),
            _ => new(_node, new HttpResponseMessage((HttpStatusCode)int.Parse(kind, System.Globalization.CultureInfo.InvariantCulture)), null),
        };
        _policy.ProbingCompleted(_cluster, [Pass(_node)]);

        // Act
        for (var i = 0; i < FallRiseHealthPolicy.Fall; i++)
        {
            _policy.ProbingCompleted(_cluster, [Probe()]);
        }

        // Assert
        Assert.Equal(DestinationHealth.Unhealthy, _node.Health.Active);
    }

    [Fact]
    public void ProbingCompleted_SeveralNodes_EachJudgedOnItsOwnRun()
    {
        // Arrange
        var failing = new DestinationState("prosody-2");
        var recovering = new DestinationState("prosody-3");
        for (var i = 0; i < FallRiseHealthPolicy.Fall; i++)
        {
            _policy.ProbingCompleted(_cluster, [Pass(_node), Fail(recovering)]);
        }

        // Act: one round for all three.
        _policy.ProbingCompleted(_cluster, [Pass(_node), Fail(failing), Pass(recovering)]);

        // Assert
        Assert.Equal(DestinationHealth.Healthy, _node.Health.Active);
        Assert.Equal(DestinationHealth.Unknown, failing.Health.Active);
        Assert.Equal(DestinationHealth.Unhealthy, recovering.Health.Active);
        Assert.Equal(FallRiseHealthPolicy.Fall + 1, _updater.SetActiveCalls);
    }

    [Fact]
    public void ProbingCompleted_NoResults_UpdatesNothing()
    {
        // Act
        _policy.ProbingCompleted(_cluster, []);

        // Assert
        Assert.Equal(0, _updater.SetActiveCalls);
    }

    [Fact]
    public void ProbingCompleted_DestinationRemoved_ItsRunIsCollected()
    {
        // Arrange: a destination probed twice, then dropped from the config (nothing references it any more).
        var removed = ProbeAndForget(_policy, _cluster);

        // Act
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Assert: the policy did not keep it alive.
        Assert.False(removed.TryGetTarget(out _));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<DestinationState> ProbeAndForget(FallRiseHealthPolicy policy, ClusterState cluster)
    {
        var node = new DestinationState("prosody-9");
        policy.ProbingCompleted(cluster, [Fail(node)]);
        policy.ProbingCompleted(cluster, [Fail(node)]);
        return new WeakReference<DestinationState>(node);
    }
}
