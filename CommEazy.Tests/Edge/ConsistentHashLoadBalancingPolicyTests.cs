using System.Net;
using CommEazy.Cluster;
using System.Collections.Frozen;
using CommEazy.Edge.Cluster;
using CommEazy.Edge.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Tests.Edge;

/// <summary>The Edge's policy, YARP-style: plain destinations and contexts, no proxy, no Aspire.</summary>
public sealed class ConsistentHashLoadBalancingPolicyTests
{
    private const string RoutingKey = "test-routing-key-not-a-secret-0123456789";
    private static readonly ClusterState Cluster = new("prosody");
    private static readonly DestinationState[] Nodes = [.. Enumerable.Range(1, 3).Select(i => new DestinationState($"prosody-{i}"))];

    private readonly StubMembership _membership = new();
    private readonly ConsistentHashLoadBalancingPolicy _policy;

    public ConsistentHashLoadBalancingPolicyTests() => _policy = new(_membership);

    /// <summary>The Edge's membership view, set by each test (unknown until then: the reachable nodes stand in).</summary>
    private sealed class StubMembership : IClusterMembership
    {
        public MembershipView Current { get; set; } = MembershipView.Unknown;

        public void Set(params (string Node, MemberState State)[] nodes) =>
            Current = new MembershipView(nodes.ToFrozenDictionary(n => n.Node, n => n.State, StringComparer.Ordinal), DateTimeOffset.UtcNow);
    }

    private static string U(int i) => UserKey.Derive(RoutingKey, $"user{i}@commeazy.local");

    private static HttpContext Request(string? query = null, string? header = null, string clientIp = "203.0.113.7")
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = query is null ? QueryString.Empty : new QueryString(query);
        if (header is not null)
        {
            context.Request.Headers[ConsistentHashLoadBalancingPolicy.UserKeyHeader] = header;
        }
        context.Connection.RemoteIpAddress = IPAddress.Parse(clientIp);
        return context;
    }

    [Fact]
    public void PickDestination_NoDestinations_ReturnsNull()
    {
        // Act
        var picked = _policy.PickDestination(Request("?u=" + U(1)), Cluster, []);

        // Assert
        Assert.Null(picked);
    }

    [Fact]
    public void PickDestination_SameUserKey_ReturnsSameDestination()
    {
        for (var i = 0; i < 200; i++)
        {
            // Act: different client addresses (Wi-Fi, then 4G), one user.
            var first = _policy.PickDestination(Request("?u=" + U(i), clientIp: "203.0.113.7"), Cluster, Nodes);
            var second = _policy.PickDestination(Request("?u=" + U(i), clientIp: "198.51.100.42"), Cluster, Nodes.Reverse().ToArray());

            // Assert
            Assert.NotNull(first);
            Assert.Same(first, second);
        }
    }

    [Fact]
    public void PickDestination_UserKey_MatchesSharedHomeFunction()
    {
        string[] ids = [.. Nodes.Select(n => n.DestinationId)];
        for (var i = 0; i < 500; i++)
        {
            // Act
            var picked = _policy.PickDestination(Request("?u=" + U(i)), Cluster, Nodes);

            // Assert
            Assert.Equal(HomeNode.Home(U(i), ids), picked?.DestinationId);
        }
    }

    [Fact]
    public void PickDestination_UserKeyInHeader_MatchesSharedHomeFunction()
    {
        string[] ids = [.. Nodes.Select(n => n.DestinationId)];
        for (var i = 0; i < 200; i++)
        {
            // Act
            var picked = _policy.PickDestination(Request(header: U(i)), Cluster, Nodes);

            // Assert
            Assert.Equal(HomeNode.Home(U(i), ids), picked?.DestinationId);
        }
    }

    [Fact]
    public void PickDestination_MembershipUnknown_HomeAmongReachableNodes()
    {
        for (var i = 0; i < 200; i++)
        {
            // Arrange: no heartbeat read yet; one node unreachable.
            var others = Nodes.Skip(1).ToArray();

            // Act
            var picked = _policy.PickDestination(Request("?u=" + U(i)), Cluster, others);

            // Assert
            Assert.Equal(HomeNode.Home(U(i), [.. others.Select(n => n.DestinationId)]), picked?.DestinationId);
        }
    }

    [Fact]
    public void PickDestination_UserKey_HomeOverLiveMembersOnly()
    {
        // Arrange: prosody-2 drains, prosody-3 stopped beating; every node is still reachable.
        _membership.Set(("prosody-1", MemberState.Live), ("prosody-2", MemberState.Draining), ("prosody-3", MemberState.Stale));

        for (var i = 0; i < 100; i++)
        {
            // Act
            var picked = _policy.PickDestination(Request("?u=" + U(i)), Cluster, Nodes);

            // Assert: the one live member, as the nodes compute it.
            Assert.Equal("prosody-1", picked?.DestinationId);
        }
    }

    [Fact]
    public void PickDestination_HomeLiveButUnreachable_ReturnsNullRatherThanAnotherNode()
    {
        // Arrange: all three beat, but the Edge cannot reach the user's home.
        _membership.Set(("prosody-1", MemberState.Live), ("prosody-2", MemberState.Live), ("prosody-3", MemberState.Live));
        for (var i = 0; i < 100; i++)
        {
            var home = HomeNode.Home(U(i), [.. Nodes.Select(n => n.DestinationId)]);
            var reachable = Nodes.Where(n => n.DestinationId != home).ToArray();

            // Act
            var picked = _policy.PickDestination(Request("?u=" + U(i)), Cluster, reachable);

            // Assert: another node would only send the client back (see-other-uri): the client retries instead.
            Assert.Null(picked);
        }
    }

    [Fact]
    public void PickDestination_NoUserKey_NeverADrainingOrDeadNode()
    {
        // Arrange
        _membership.Set(("prosody-1", MemberState.Draining), ("prosody-2", MemberState.Live), ("prosody-3", MemberState.Stale));

        // Act
        var picks = Enumerable.Range(0, 100).Select(i => _policy.PickDestination(Request(clientIp: $"10.0.0.{i}"), Cluster, Nodes)?.DestinationId);

        // Assert
        Assert.All(picks, p => Assert.Equal("prosody-2", p));
    }

    [Fact]
    public void PickDestination_NoLiveMember_ReturnsNull()
    {
        // Arrange: everyone drains.
        _membership.Set(("prosody-1", MemberState.Draining), ("prosody-2", MemberState.Draining), ("prosody-3", MemberState.Draining));

        // Act + Assert
        Assert.Null(_policy.PickDestination(Request("?u=" + U(1)), Cluster, Nodes));
        Assert.Null(_policy.PickDestination(Request(), Cluster, Nodes));
    }

    [Theory]
    [InlineData("?u=F9359962EE24D4EB2E5B31207E55C6B7")]      // uppercase
    [InlineData("?u=f9359962ee24d4eb2e5b31207e55c6b")]       // 31 characters
    [InlineData("?u=alice%40commeazy.local")]                // not a key at all
    [InlineData("?u=f9359962ee24d4eb2e5b31207e55c6b7&u=3c3cd7065d791f5da6da764af0300f66")] // ambiguous
    public void PickDestination_MalformedUserKey_IgnoredAndClientAddressUsed(string query)
    {
        for (var i = 0; i < 50; i++)
        {
            // Arrange
            var ip = $"198.51.100.{i}";

            // Act
            var picked = _policy.PickDestination(Request(query, clientIp: ip), Cluster, Nodes);
            var byAddress = _policy.PickDestination(Request(clientIp: ip), Cluster, Nodes);

            // Assert
            Assert.Same(byAddress, picked);
            Assert.Null(ConsistentHashLoadBalancingPolicy.UserKeyOf(Request(query).Request));
        }
    }

    [Fact]
    public void PickDestination_QueryAndHeader_QueryWins()
    {
        // Act
        var key = ConsistentHashLoadBalancingPolicy.UserKeyOf(Request("?u=" + U(1), header: U(2)).Request);

        // Assert
        Assert.Equal(U(1), key);
    }

    [Fact]
    public void PickDestination_NoUserKey_SameClientAddressReturnsSameDestinationAndSpreads()
    {
        // Act
        var picks = Enumerable.Range(0, 600).Select(i => $"10.{i / 250}.{i % 250}.1")
            .Select(ip => (First: _policy.PickDestination(Request(clientIp: ip), Cluster, Nodes), Again: _policy.PickDestination(Request(clientIp: ip), Cluster, Nodes)))
            .ToList();

        // Assert
        Assert.All(picks, p => Assert.Same(p.First, p.Again));
        Assert.Equal(3, picks.Select(p => p.First).Distinct().Count());
    }
}
