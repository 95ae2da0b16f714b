using System.Globalization;

namespace CommEazy.AuthBridge.Accounts;

/// <summary>One row of Prosody's SQL storage, less the <c>host</c> and <c>"user"</c> columns.</summary>
internal sealed record ProsodyRow(string Store, string Key, string Type, string Value);

/// <summary>
/// The rows Prosody 13's <c>internal_hashed</c> auth and <c>authz_internal</c> keep for an account, in the exact
/// type/value formats Prosody writes (checked against rows of a real Prosody in the tests).
/// </summary>
internal static class ProsodyAccountRows
{
    public const string AccountsStore = "accounts";
    public const string RolesStore = "account_roles";

    /// <summary>The account keys the AuthBridge writes; other keys in the store (e.g. set by an admin) are kept.</summary>
    public static readonly IReadOnlyList<string> AccountKeys =
        ["salt", "iteration_count", "stored_key", "server_key", "created", "updated"];

    /// <summary>The role a new account gets; an existing role row is never overwritten.</summary>
    public static readonly ProsodyRow DefaultRole = new(RolesStore, "_default", "string", "prosody:member");

    public static IReadOnlyList<ProsodyRow> Accounts(ScramCredentials credentials, long createdUnixSeconds, long updatedUnixSeconds) =>
    [
        new(AccountsStore, "salt", "string", credentials.Salt),
        new(AccountsStore, "iteration_count", "number", Number(credentials.IterationCount)),
        new(AccountsStore, "stored_key", "string", credentials.StoredKeyHex),
        new(AccountsStore, "server_key", "string", credentials.ServerKeyHex),
        new(AccountsStore, "created", "number", Number(createdUnixSeconds)),
        new(AccountsStore, "updated", "number", Number(updatedUnixSeconds)),
    ];

    /// <summary>The credentials in a user's <c>accounts</c> rows (key → value), if they are complete.</summary>
    public static ScramCredentials? ReadCredentials(IReadOnlyDictionary<string, string> accountValues) =>
        accountValues.TryGetValue("salt", out var salt)
        && accountValues.TryGetValue("iteration_count", out var iterations)
        && int.TryParse(iterations, NumberStyles.None, CultureInfo.InvariantCulture, out var iterationCount)
        && accountValues.TryGetValue("stored_key", out var storedKey)
        && accountValues.TryGetValue("server_key", out var serverKey)
            ? new ScramCredentials(salt, iterationCount, storedKey, serverKey)
            : null;

    /// <summary>Prosody's <c>created</c> value if present and numeric.</summary>
    public static long? ReadCreated(IReadOnlyDictionary<string, string> accountValues) =>
        accountValues.TryGetValue("created", out var created)
        && long.TryParse(created, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
