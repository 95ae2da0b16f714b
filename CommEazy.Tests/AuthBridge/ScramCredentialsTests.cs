using System.Text.Json;
using CommEazy.AuthBridge.Accounts;

namespace CommEazy.Tests.AuthBridge;

/// <summary>The rows we write must be the rows Prosody 13 writes: checked against a dump from a real Prosody.</summary>
public sealed class ScramCredentialsTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public void ScramCredentials_ProsodyVector_ReproducesStoredRows()
    {
        // Arrange
        var vector = LoadVector();
        string Value(string store, string key) => vector.Rows.Single(r => r.Store == store && r.Key == key).Value;
        var salt = Value("accounts", "salt");
        var iterations = int.Parse(Value("accounts", "iteration_count"), System.Globalization.CultureInfo.InvariantCulture);
        var created = long.Parse(Value("accounts", "created"), System.Globalization.CultureInfo.InvariantCulture);
        var updated = long.Parse(Value("accounts", "updated"), System.Globalization.CultureInfo.InvariantCulture);

        // Act
        var credentials = ScramCredentials.Derive(vector.Password, salt, iterations);
        var rows = ProsodyAccountRows.Accounts(credentials, created, updated).Append(ProsodyAccountRows.DefaultRole);

        // Assert
        Assert.Equal(ScramCredentials.DefaultIterationCount, iterations);
        Assert.Equal(Value("accounts", "stored_key"), credentials.StoredKeyHex);
        Assert.Equal(Value("accounts", "server_key"), credentials.ServerKeyHex);
        Assert.Equal(
            vector.Rows.OrderBy(r => r.Store, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal),
            rows.OrderBy(r => r.Store, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void ReadCredentials_ProsodyVectorRows_VerifiesItsPasswordOnly()
    {
        // Arrange
        var vector = LoadVector();
        var accountValues = vector.Rows.Where(r => r.Store == "accounts").ToDictionary(r => r.Key, r => r.Value);

        // Act
        var credentials = ProsodyAccountRows.ReadCredentials(accountValues);

        // Assert
        Assert.NotNull(credentials);
        Assert.True(credentials.Verify(vector.Password));
        Assert.False(credentials.Verify(vector.Password + "x"));
        Assert.Equal(long.Parse(accountValues["created"], System.Globalization.CultureInfo.InvariantCulture),
            ProsodyAccountRows.ReadCreated(accountValues));
    }

    [Fact]
    public void Create_Password_UsesFreshUuidSaltAndProsodyDefaults()
    {
        // Act
        var first = ScramCredentials.Create("secret");
        var second = ScramCredentials.Create("secret");

        // Assert
        Assert.Matches(@"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\z", first.Salt);
        Assert.NotEqual(first.Salt, second.Salt);
        Assert.NotEqual(first.StoredKeyHex, second.StoredKeyHex);
        Assert.Equal(ScramCredentials.DefaultIterationCount, first.IterationCount);
        Assert.Matches(@"^[0-9a-f]{40}\z", first.StoredKeyHex);
        Assert.Matches(@"^[0-9a-f]{40}\z", first.ServerKeyHex);
        Assert.True(first.Verify("secret"));
    }

    private static ProsodyVector LoadVector()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "AuthBridge", "Data", "prosody-scram-vector.json");
        return JsonSerializer.Deserialize<ProsodyVector>(File.ReadAllText(path), Json)
               ?? throw new InvalidDataException($"{path} is empty");
    }

    private sealed record ProsodyVector(string Host, string User, string Password, IReadOnlyList<ProsodyRow> Rows);

    [Fact]
    public void Keys_MatchTheStoredCredentials()
    {
        // Arrange
        var credentials = ScramCredentials.Create("a-derived-password");

        // Act
        var (clientKey, serverKey) = ScramCredentials.Keys("a-derived-password", credentials.Salt, credentials.IterationCount);

        // Assert: what the client is given is exactly what Prosody verifies against.
        Assert.Equal(credentials.StoredKeyHex, Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(clientKey)));
        Assert.Equal(credentials.ServerKeyHex, Convert.ToHexStringLower(serverKey));
    }
}
