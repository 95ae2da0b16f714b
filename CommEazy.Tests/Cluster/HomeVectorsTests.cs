using System.Text.Json;
using CommEazy.Cluster;

namespace CommEazy.Tests.Cluster;

/// <summary>
/// The C# home function against the vectors shared with Prosody's Lua module
/// (<c>containers/prosody/modules/testdata/home-vectors.json</c>, generated independently): both sides must
/// reproduce every case, or the Edge and the nodes disagree on where a user lives.
/// </summary>
public sealed class HomeVectorsTests
{
    private static readonly Lazy<Vectors> Shared = new(Load);

    public static TheoryData<int> CaseIndexes => [.. Enumerable.Range(0, Shared.Value.Cases.Count)];

    [Fact]
    public void Vectors_File_HasCasesForEveryShape()
    {
        // Assert: enough cases to mean something, including the empty membership and unordered member lists.
        var cases = Shared.Value.Cases;
        Assert.True(cases.Count >= 20, $"only {cases.Count} vectors");
        Assert.Contains(cases, c => c.Members.Count == 0 && c.Home is null);
        Assert.Contains(cases, c => !c.Members.SequenceEqual(c.Members.Order(StringComparer.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Derive_SharedVector_GivesItsUserKey(int index)
    {
        // Arrange
        var vector = Shared.Value.Cases[index];

        // Act
        var u = UserKey.Derive(Shared.Value.RoutingKey, vector.Jid);

        // Assert
        Assert.Equal(vector.U, u);
        Assert.True(UserKey.IsValid(u));
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Home_SharedVector_GivesItsHome(int index)
    {
        // Arrange
        var vector = Shared.Value.Cases[index];

        // Act
        var home = HomeNode.Home(vector.U, vector.Members);

        // Assert
        Assert.Equal(vector.Home, home);
    }

    private static Vectors Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Cluster", "Data", "home-vectors.json");
        return JsonSerializer.Deserialize<Vectors>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidOperationException(path + " is empty");
    }

    private sealed record Vectors(string RoutingKey, IReadOnlyList<Vector> Cases);

    private sealed record Vector(string Jid, string U, IReadOnlyList<string> Members, string? Home);
}
