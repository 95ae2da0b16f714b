using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Integration;

/// <summary>The session's SCRAM keys sign a real xmpp.js client in without deriving them, and much faster.</summary>
[Collection(nameof(CommEazyCluster))]
public sealed class ScramKeysTests(CommEazyAppFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task SignInWithSessionKeys_WorksWithoutThePassword_AndSkipsTheDerivation()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        var session = await cluster.SessionAsync("keys");
        Assert.NotNull(session.Scram);

        // Act
        var facts = await XmppScenario.RunAsync("scram-keys.mjs", new { session }, TimeSpan.FromMinutes(2));

        // Assert: the keys alone sign in (the password given was wrong).
        Assert.True((bool)facts["keysOnly"]!, "a client with the session's SCRAM keys and a wrong password could not sign in");
        var (keys, password) = ((int)facts["withKeysMs"]!, (int)facts["withPasswordMs"]!);
        Figures.Print(output, $"xmpp.js sign-in through the Edge: {keys} ms with the session's SCRAM keys, {password} ms deriving them " +
            $"from the password (ratio {(double)password / Math.Max(1, keys):F1})");
    }
}
