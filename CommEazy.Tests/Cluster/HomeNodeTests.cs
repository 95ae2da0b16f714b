using CommEazy.Cluster;

namespace CommEazy.Tests.Cluster;

/// <summary>Properties of the home function the cluster relies on, over many seeded-random users and memberships.</summary>
public sealed class HomeNodeTests
{
    private const string RoutingKey = "test-routing-key-not-a-secret-0123456789";
    private static readonly string[] AllNodes = [.. Enumerable.Range(1, 12).Select(i => $"prosody-{i}")];

    /// <summary>Seeded, so a failure reproduces: (user key, membership) pairs with 1–12 members in random order.</summary>
    private static IEnumerable<(string UserKey, string[] Members)> Samples(int seed, int count = 2000)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var userKey = UserKey.Derive(RoutingKey, $"user{i}@commeazy.local");
            var members = AllNodes.OrderBy(_ => random.Next()).Take(random.Next(1, AllNodes.Length + 1)).ToArray();
            yield return (userKey, members);
        }
    }

    [Fact]
    public void Home_NoMembers_ReturnsNull()
    {
        // Act / Assert
        Assert.Null(HomeNode.Home(UserKey.Derive(RoutingKey, "alice@commeazy.local"), []));
    }

    [Fact]
    public void Home_SameInputsInAnyOrder_ReturnsSameMember()
    {
        foreach (var (userKey, members) in Samples(seed: 1))
        {
            // Act
            var home = HomeNode.Home(userKey, members);
            var again = HomeNode.Home(userKey, members.Reverse().ToList());
            var viaSet = HomeNode.Home(userKey, members.ToHashSet()); // a collection that is not a list

            // Assert
            Assert.Equal(home, again);
            Assert.Equal(home, viaSet);
        }
    }

    [Fact]
    public void Home_AnyMembership_ReturnsOneOfTheMembers()
    {
        foreach (var (userKey, members) in Samples(seed: 2))
        {
            // Act
            var home = HomeNode.Home(userKey, members);

            // Assert
            Assert.Contains(home, members);
        }
    }

    [Fact]
    public void Home_NonHomeMemberRemoved_HomeUnchanged()
    {
        foreach (var (userKey, members) in Samples(seed: 3))
        {
            // Arrange
            var home = HomeNode.Home(userKey, members);

            foreach (var leaving in members.Where(m => m != home))
            {
                // Act
                var after = HomeNode.Home(userKey, members.Where(m => m != leaving).ToArray());

                // Assert
                Assert.Equal(home, after);
            }
        }
    }

    [Fact]
    public void Home_MemberJoins_HomeStaysOrBecomesTheNewcomer()
    {
        foreach (var (userKey, members) in Samples(seed: 4))
        {
            // Arrange
            var home = HomeNode.Home(userKey, members);
            var newcomer = AllNodes.FirstOrDefault(n => !members.Contains(n));
            if (newcomer is null)
            {
                continue;
            }

            // Act
            var after = HomeNode.Home(userKey, [.. members, newcomer]);

            // Assert
            Assert.True(after == home || after == newcomer, $"{userKey}: {home} -> {after} when {newcomer} joined");
        }
    }

    [Fact]
    public void Home_ManyUsers_SpreadOverEveryMember()
    {
        // Arrange
        string[] members = ["prosody-1", "prosody-2", "prosody-3"];

        // Act
        var counts = Enumerable.Range(0, 3000)
            .Select(i => HomeNode.Home(UserKey.Derive(RoutingKey, $"user{i}@commeazy.local"), members)!)
            .CountBy(home => home)
            .ToDictionary();

        // Assert: each node gets its third, give or take (binomial sd ≈ 26).
        Assert.All(members, m => Assert.InRange(counts.GetValueOrDefault(m), 850, 1150));
    }

    [Theory]
    [InlineData("f9359962ee24d4eb2e5b31207e55c6b7", true)]
    [InlineData("F9359962EE24D4EB2E5B31207E55C6B7", false)]
    [InlineData("f9359962ee24d4eb2e5b31207e55c6b", false)]
    [InlineData("f9359962ee24d4eb2e5b31207e55c6b70", false)]
    [InlineData("g9359962ee24d4eb2e5b31207e55c6b7", false)]
    [InlineData("", false)]
    public void IsValid_Candidate_AcceptsOnly32LowercaseHex(string candidate, bool expected)
    {
        // Act / Assert
        Assert.Equal(expected, UserKey.IsValid(candidate));
    }

    [Fact]
    public void Derive_LongJid_MatchesSpanOverload()
    {
        // Arrange: longer than the stack buffer, so the pooled path runs.
        var jid = new string('a', 1023) + "@commeazy.local";

        // Act
        var u = UserKey.Derive(RoutingKey, jid);

        // Assert
        Assert.Equal(UserKey.Derive(System.Text.Encoding.UTF8.GetBytes(RoutingKey), System.Text.Encoding.UTF8.GetBytes(jid)), u);
    }
}
