using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Edge.Health;

/// <summary>
/// Active health as HAProxy's <c>check fall 3 rise 2</c> judges it: a probe passes when the node answers with a
/// success status, and fails on any other status, a timeout or a connection error. A node becomes unhealthy after
/// <see cref="Fall"/> failures in a row and healthy again only after <see cref="Rise"/> passes in a row; a node not
/// yet judged (unknown, e.g. just configured) is healthy at its first pass, as HAProxy starts its servers up. The
/// runs are kept per destination in a <see cref="ConditionalWeakTable{TKey, TValue}"/>, so a destination or cluster
/// removed from the config takes its history with it.
/// </summary>
internal sealed class FallRiseHealthPolicy(IDestinationHealthUpdater healthUpdater) : IActiveHealthCheckPolicy
{
    /// <summary>Failed probes in a row that take a node out.</summary>
    public const int Fall = 3;

    /// <summary>Passed probes in a row that bring an unhealthy node back.</summary>
    public const int Rise = 2;

    private readonly ConditionalWeakTable<DestinationState, ProbeRun> _runs = new();

    public string Name => HealthCheckPolicyNames.FallRise;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        if (probingResults.Count == 0)
        {
            return;
        }
        var newStates = new NewActiveDestinationHealth[probingResults.Count];
        for (var i = 0; i < probingResults.Count; i++)
        {
            var destination = probingResults[i].Destination;
            var passed = probingResults[i].Response is { IsSuccessStatusCode: true };
            var health = _runs.GetOrCreateValue(destination).Record(passed, destination.Health.Active);
            newStates[i] = new NewActiveDestinationHealth(destination, health);
        }
        healthUpdater.SetActive(cluster, newStates);
    }

    /// <summary>The current run of one destination's probe results: how many passed, or failed, in a row.</summary>
    private sealed class ProbeRun
    {
        private readonly Lock _gate = new();
        private int _passes;
        private int _failures;

        /// <summary>Counts one probe and returns the destination's new active health (its current one while undecided).</summary>
        public DestinationHealth Record(bool passed, DestinationHealth current)
        {
            // YARP probes a cluster one round at a time; the lock only guards against a config reload racing a round.
            lock (_gate)
            {
                if (passed)
                {
                    _failures = 0;
                    _passes = Math.Min(_passes + 1, Rise); // saturates: only "enough in a row" matters
                    return current != DestinationHealth.Unhealthy || _passes >= Rise ? DestinationHealth.Healthy : current;
                }
                _passes = 0;
                _failures = Math.Min(_failures + 1, Fall);
                return _failures >= Fall ? DestinationHealth.Unhealthy : current;
            }
        }
    }
}
