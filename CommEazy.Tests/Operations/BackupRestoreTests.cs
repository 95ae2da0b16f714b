using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CommEazy.Tests.Operations;

/// <summary>
/// The documented backup and restore (containers/postgres/commeazy-backup, commeazy-restore, README "Operations"):
/// a backup of the running cluster, restored into a fresh PostgreSQL, lets a user sign in to a Prosody node on it
/// with the credentials from before; a wrong password is still refused, and a second restore refuses to overwrite.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class BackupRestoreTests(CommEazyAppFixture cluster)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task BackupRestoredIntoFreshPostgres_UserSignsInWithOldCredentials()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: a user who signed in before the backup.
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var before = await AppSignIn.SessionAsync(authBridge, "BackupUid" + Guid.NewGuid().ToString("N")[..8], "+15550000501");
        var domain = cluster.App.Services.GetRequiredService<IConfiguration>()["Parameters:xmpp-domain"]!;
        var id = Guid.NewGuid().ToString("N")[..10];
        var (network, database, node) = ($"commeazy-restore-{id}", $"commeazy-restore-pg-{id}", $"commeazy-restore-prosody-{id}");
        var dump = Path.Combine(Path.GetTempPath(), $"commeazy-{id}.dump");
        try
        {
            // Act: the README's backup command against the cluster's PostgreSQL.
            Shell($"docker exec {cluster.ContainerId("postgres")} commeazy-backup > {dump}");
            Assert.True(new FileInfo(dump).Length > 1000, "the backup is (nearly) empty");

            // A fresh, empty PostgreSQL (the cluster's image) and the README's restore command.
            Docker("network", "create", network);
            Docker("run", "-d", "--name", database, "--network", network, "-e", "POSTGRES_PASSWORD=" + Guid.NewGuid().ToString("N"),
                ImageOf("postgres"));
            await WaitUntilAsync(() => DockerEnvironment.Run("docker", ["exec", database, "pg_isready", "-q", "-h", "127.0.0.1"], CommandTimeout).Exit == 0, "the fresh PostgreSQL");
            var restored = Shell($"docker exec -i {database} commeazy-restore < {dump}");
            Assert.Contains("database prosody restored", restored);

            // A Prosody node (the cluster's image) on the restored database; the app signs in with its old password.
            var password = DockerEnvironment.Run("docker", ["exec", database, "printenv", "POSTGRES_PASSWORD"], CommandTimeout).Output.Trim();
            Docker("run", "-d", "--name", node, "--network", network, "-p", "127.0.0.1::5280", "-e", "PROSODY_DOMAIN=" + domain,
                "-e", "PROSODY_NODE_ID=restore-1", "-e", $"ConnectionStrings__prosody=Host={database};Port=5432;Username=postgres;Password={password};Database=prosody",
                ImageOf("prosody-1"));
            var port = Docker("port", node, "5280/tcp").Trim().Split(':').Last();
            using var http = new HttpClient();
            await WaitUntilAsync(async () => (await TryGetAsync(http, $"http://127.0.0.1:{port}/xmpp-websocket")) == System.Net.HttpStatusCode.OK, "the Prosody node on the restored database");
            var restoredSession = before with { WebSocketUrl = $"ws://127.0.0.1:{port}/xmpp-websocket" };
            var signIn = await XmppScenario.RunAsync("signin.mjs", new { session = restoredSession }, TimeSpan.FromSeconds(60));
            // Wrong credentials: neither the password nor SCRAM keys (the session carries keys derived from the right one).
            var wrong = await XmppScenario.RunAsync("signin.mjs", new { session = restoredSession with { Password = "not-the-password", Scram = null } }, TimeSpan.FromSeconds(60));

            // Assert
            Assert.True((bool)signIn["ok"]!, "sign-in on the restored database failed: " + signIn.ToJsonString());
            Assert.StartsWith(before.Jid + "/", (string?)signIn["jid"]);
            Assert.False((bool)wrong["ok"]!);
            Assert.Equal("not-authorized", (string?)wrong["error"]);
            var again = DockerEnvironment.Run("bash", ["-c", $"docker exec -i {database} commeazy-restore < {dump}"], CommandTimeout);
            Assert.NotEqual(0, again.Exit);
            Assert.Contains("already exists", again.Error);
        }
        finally
        {
            DockerEnvironment.Run("docker", ["rm", "-f", node, database], CommandTimeout);
            DockerEnvironment.Run("docker", ["network", "rm", network], CommandTimeout);
            File.Delete(dump);
        }
    }

    /// <summary>
    /// A restore that cannot complete (a foreign file, an archive cut short by a failed copy) is refused with a reason
    /// and leaves the server empty, so the whole archive can be restored next; an archive cut inside its data used to
    /// leave a half-restored database behind that refused every later restore.
    /// </summary>
    [Fact]
    public async Task RestoreOfForeignOrTruncatedArchive_RefusedWithReason_ServerStaysEmptyForTheWholeArchive()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: a backup of the cluster, a fresh PostgreSQL, and the two broken archives.
        var id = Guid.NewGuid().ToString("N")[..10];
        var database = $"commeazy-restore-pg-{id}";
        var dump = Path.Combine(Path.GetTempPath(), $"commeazy-{id}.dump");
        var foreign = dump + ".foreign";
        var truncated = dump + ".truncated";
        try
        {
            Shell($"docker exec {cluster.ContainerId("postgres")} commeazy-backup > {dump}");
            var archive = File.ReadAllBytes(dump);
            File.WriteAllBytes(truncated, archive[..(archive.Length * 9 / 10)]); // past the table of contents, inside the data
            File.WriteAllBytes(foreign, System.Text.Encoding.ASCII.GetBytes(new string('x', 4096)));
            Docker("run", "-d", "--name", database, "-e", "POSTGRES_PASSWORD=" + Guid.NewGuid().ToString("N"), ImageOf("postgres"));
            await WaitUntilAsync(() => DockerEnvironment.Run("docker", ["exec", database, "pg_isready", "-q", "-h", "127.0.0.1"], CommandTimeout).Exit == 0,
                "the fresh PostgreSQL");

            foreach (var broken in (string[])[foreign, truncated])
            {
                // Act
                var (exit, _, error) = DockerEnvironment.Run("bash", ["-c", $"docker exec -i {database} commeazy-restore < {broken}"], CommandTimeout);

                // Assert: refused with the script's own reason, and no database left behind.
                Assert.True(exit != 0, $"restoring {Path.GetExtension(broken)} succeeded");
                Assert.Contains("commeazy-restore: error:", error);
                Assert.Equal("", Docker("exec", database, "psql", "-U", "postgres", "-tAc", "SELECT datname FROM pg_database WHERE datname = 'prosody'").Trim());
            }
            Assert.Contains("database prosody restored", Shell($"docker exec -i {database} commeazy-restore < {dump}"));
        }
        finally
        {
            DockerEnvironment.Run("docker", ["rm", "-f", database], CommandTimeout);
            foreach (var file in (string[])[dump, foreign, truncated])
            {
                File.Delete(file);
            }
        }
    }

    private string ImageOf(string resource) => Docker("inspect", "-f", "{{.Config.Image}}", cluster.ContainerId(resource)).Trim();

    private static string Docker(params string[] args)
    {
        var (exit, output, error) = DockerEnvironment.Run("docker", args, CommandTimeout);
        Assert.True(exit == 0, $"docker {args[0]} {args.ElementAtOrDefault(1)} failed: {error}");
        return output;
    }

    /// <summary>Runs a command line as an operator types it (redirections included); returns its stderr.</summary>
    private static string Shell(string command)
    {
        var (exit, _, error) = DockerEnvironment.Run("bash", ["-c", command], CommandTimeout);
        Assert.True(exit == 0, $"`{command}` failed (exit {exit}): {error}");
        return error;
    }

    private static async Task<System.Net.HttpStatusCode?> TryGetAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static Task WaitUntilAsync(Func<bool> ready, string what) => WaitUntilAsync(() => Task.FromResult(ready()), what);

    private static async Task WaitUntilAsync(Func<Task<bool>> ready, string what)
    {
        for (var i = 0; i < 90; i++)
        {
            if (await ready())
            {
                return;
            }
            await Task.Delay(1000, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"{what} was not ready within 90 s");
    }
}
