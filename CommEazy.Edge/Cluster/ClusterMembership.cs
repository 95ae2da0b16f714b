using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommEazy.Edge.Cluster;

/// <summary>One reading of the cluster's membership table: each node's state as its heartbeat says.</summary>
internal sealed record MembershipView(FrozenDictionary<string, MemberState> Nodes, DateTimeOffset ReadAt)
{
    /// <summary>The ids of the live members, the set every node computes homes over.</summary>
    public string[] LiveMembers { get; } = [.. Nodes.Where(n => n.Value == MemberState.Live).Select(n => n.Key).Order(StringComparer.Ordinal)];

    /// <summary>No reading yet (or the table does not exist yet): the Edge routes over every reachable node.</summary>
    public static readonly MembershipView Unknown = new(FrozenDictionary<string, MemberState>.Empty, DateTimeOffset.MinValue);

    public bool IsKnown => ReadAt != DateTimeOffset.MinValue;

    /// <summary>True when <paramref name="nodeId"/> beats and takes users.</summary>
    public bool IsLive(string nodeId) => Nodes.TryGetValue(nodeId, out var state) && state == MemberState.Live;
}

/// <summary>What a node's heartbeat row says about it.</summary>
internal enum MemberState
{
    /// <summary>Beating and taking users: it can be a home.</summary>
    Live,
    /// <summary>Beating but leaving on purpose: its users are moving to their new homes.</summary>
    Draining,
    /// <summary>Its beat is older than the member TTL: treated as dead.</summary>
    Stale,
}

/// <summary>The Edge's current view of the cluster's membership.</summary>
internal interface IClusterMembership
{
    MembershipView Current { get; }
}

/// <summary>
/// Reads the nodes' heartbeats from PostgreSQL (the table <c>mod_commeazy_cluster_members</c> writes) every
/// <see cref="EdgeOptions.MembershipPoll"/>, so the Edge sends users to the same home the nodes compute: the home
/// function over the live members. A failed read keeps the last view until it is older than the member TTL, then
/// the view becomes unknown and the Edge falls back to its own health checks.
/// </summary>
internal sealed class ClusterMembership(NpgsqlDataSource database, IOptions<EdgeOptions> options, TimeProvider clock,
    ILogger<ClusterMembership> logger) : BackgroundService, IClusterMembership
{
    private MembershipView _view = MembershipView.Unknown;

    /// <summary>The latest view (never null; <see cref="MembershipView.Unknown"/> until the first reading).</summary>
    public MembershipView Current
    {
        get
        {
            var view = Volatile.Read(ref _view);
            return view.IsKnown && clock.GetUtcNow() - view.ReadAt > options.Value.MemberTtl ? MembershipView.Unknown : view;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MembershipPoll, clock);
        var failing = false;
        do
        {
            try
            {
                var view = await ReadAsync(stoppingToken);
                if (!SameNodes(view, _view))
                {
                    Log.MembershipChanged(logger, Describe(view));
                }
                Volatile.Write(ref _view, view);
                failing = false;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    Log.MembershipUnreadable(logger, e.Message);
                }
                failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<MembershipView> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT node_id, state, last_beat > now() - make_interval(secs => $1) FROM commeazy_cluster_members");
        command.Parameters.AddWithValue(options.Value.MemberTtl.TotalSeconds);
        var nodes = new Dictionary<string, MemberState>(StringComparer.Ordinal);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                nodes[reader.GetString(0)] = !reader.GetBoolean(2) ? MemberState.Stale
                    : reader.GetString(1) == "live" ? MemberState.Live : MemberState.Draining;
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return MembershipView.Unknown; // no node has started yet
        }
        return new MembershipView(nodes.ToFrozenDictionary(StringComparer.Ordinal), clock.GetUtcNow());
    }

    private static bool SameNodes(MembershipView a, MembershipView b) =>
        a.Nodes.Count == b.Nodes.Count && a.Nodes.All(n => b.Nodes.TryGetValue(n.Key, out var s) && s == n.Value);

    private static string Describe(MembershipView view) => view.IsKnown
        ? string.Join(", ", view.Nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => $"{n.Key}={n.Value}"))
        : "unknown (no node has written a heartbeat yet)";
}
