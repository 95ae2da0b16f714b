using System.Text.Json.Nodes;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>
/// The deployment manifest (<c>dotnet run --project CommEazy.AppHost -- --publisher manifest</c>, README "Operations"):
/// every resource with its Dockerfile or project, bindings and references, for any number of Prosody nodes; secrets
/// only as parameters. The exit code says little (DESIGN.md §5): the test reads the manifest itself.
/// </summary>
public sealed class ManifestTests
{
    private static readonly string[] Containers =
        ["postgres", "postgres-replica", "coturn", "prosody-1", "postgres-exporter", "prometheus", "grafana"];
    private static readonly string[] Projects = ["authbridge", "pushgateway", "edge"];
    private static readonly string[] SecretParameters =
        ["password-derivation-key", "cluster-routing-key", "turn-shared-secret", "grafana-admin-password", "postgres-password"];

    [Fact]
    public void ProductionManifest_HasEveryResourceAndNoSecretValue()
    {
        // Arrange: secret values the AppHost would use if it were told them; none may reach the manifest.
        var secrets = SecretParameters.ToDictionary(p => p, _ => "leak-canary-" + Guid.NewGuid().ToString("N"));

        // Act
        var (manifest, raw) = Publish(secrets, "--environment", "Production");
        var resources = manifest["resources"]!.AsObject();

        // Assert: every resource, containers built from our Dockerfiles, projects by path.
        foreach (var name in Containers)
        {
            Assert.True(resources.ContainsKey(name), $"{name} is missing from the manifest");
            Assert.Equal("container.v1", (string?)resources[name]!["type"]);
            var dockerfile = (string)resources[name]!["build"]!["dockerfile"]!;
            Assert.EndsWith("/Dockerfile", dockerfile);
            Assert.Contains("/containers/", dockerfile);
        }
        foreach (var name in Projects)
        {
            Assert.Equal("project.v0", (string?)resources[name]!["type"]);
            Assert.EndsWith($"CommEazy.{(name == "authbridge" ? "AuthBridge" : name == "pushgateway" ? "PushGateway" : "Edge")}.csproj", (string)resources[name]!["path"]!);
        }
        Assert.Equal("{postgres.connectionString};Database=prosody", (string?)resources["prosody"]!["connectionString"]);

        // Assert: bindings — public ones external, health/metrics internal only.
        Assert.True((bool?)resources["edge"]!["bindings"]!["http"]!["external"]);
        Assert.Null(resources["edge"]!["bindings"]!["internal"]!["external"]);
        Assert.True((bool?)resources["authbridge"]!["bindings"]!["http"]!["external"]);
        Assert.Equal("udp", (string?)resources["coturn"]!["bindings"]!["turn"]!["protocol"]);
        Assert.True((bool?)resources["coturn"]!["bindings"]!["turn"]!["external"]);
        Assert.Null(resources["coturn"]!["bindings"]!["metrics"]!["external"]);
        Assert.Null(resources["prometheus"]!["bindings"]!["http"]!["external"]);

        // Assert: references between resources are expressions, not addresses.
        var node = Env(resources, "prosody-1");
        Assert.Equal("{prosody.connectionString}", node["ConnectionStrings__prosody"]);
        Assert.Equal("{turn-shared-secret.value}", node["PROSODY_TURN_SECRET"]);
        Assert.Equal("{turn-shared-secret.value}", Env(resources, "coturn")["TURN_SECRET"]);
        Assert.Equal("{prosody-1.bindings.http.url}", Env(resources, "edge")["Edge__Nodes__0__Address"]);
        Assert.Equal("edge edge {edge.bindings.internal.host}:{edge.bindings.internal.port} /metrics", Env(resources, "prometheus")["SCRAPE_EDGE"]);
        Assert.Equal("{postgres-password.value}", Env(resources, "postgres-exporter")["DATA_SOURCE_PASS"]);
        Assert.Equal("{postgres-password.value}", Env(resources, "postgres-replica")["POSTGRES_PASSWORD"]);
        Assert.Equal("{prometheus.bindings.http.url}", Env(resources, "grafana")["PROMETHEUS_URL"]);
        Assert.Equal("Production", Env(resources, "authbridge")["ASPNETCORE_ENVIRONMENT"]);
        Assert.False(Env(resources, "authbridge").ContainsKey("DevTokens__Enabled"), "the dev token issuer must never be in a deployment");

        // Assert: every secret is a secret parameter, referenced as {name.value}, and no secret value is anywhere.
        foreach (var name in SecretParameters)
        {
            Assert.Equal("parameter.v0", (string?)resources[name]!["type"]);
            Assert.True((bool?)resources[name]!["inputs"]!["value"]!["secret"], $"{name} is not a secret parameter");
            Assert.Contains($"{{{name}.value}}", raw);
        }
        Assert.All(secrets.Values, value => Assert.DoesNotContain(value, raw));
    }

    [Fact]
    public void ThreeNodeManifest_WiresEveryNode()
    {
        // Act
        var (manifest, _) = Publish(new Dictionary<string, string>(), "--CommEazy:ProsodyNodes=3");
        var resources = manifest["resources"]!.AsObject();

        // Assert: each node is a container, behind the Edge, scraped by Prometheus, handing out TURN credentials.
        var edge = Env(resources, "edge");
        var prometheus = Env(resources, "prometheus");
        for (var i = 1; i <= 3; i++)
        {
            var node = $"prosody-{i}";
            Assert.Equal("container.v1", (string?)resources[node]!["type"]);
            Assert.Equal(node, edge[$"Edge__Nodes__{i - 1}__Id"]);
            Assert.Equal($"prosody {node} {{{node}.bindings.http.host}}:{{{node}.bindings.http.port}} /metrics", prometheus[$"SCRAPE_PROSODY_{i}"]);
            Assert.Equal("{turn-host.value}", Env(resources, node)["PROSODY_TURN_HOST"]);
        }
        Assert.False(resources.ContainsKey("prosody-4"));
    }

    [Fact]
    public void AuthBridgeSettings_ReachTheAuthBridge()
    {
        // Act: an operator tunes the AuthBridge from the AppHost's configuration, as CommEazy:Edge:* tunes the Edge.
        var (manifest, _) = Publish(new Dictionary<string, string>(), "--CommEazy:AuthBridge:RequestBurstPerAddress=55",
            "--CommEazy:AuthBridge:RequestsPerSecondPerAddress=7", "--CommEazy:AuthBridge:TrustedProxies:0=10.0.0.0/8");
        var authBridge = Env(manifest["resources"]!.AsObject(), "authbridge");

        // Assert
        Assert.Equal("55", authBridge["AuthBridge__RequestBurstPerAddress"]);
        Assert.Equal("7", authBridge["AuthBridge__RequestsPerSecondPerAddress"]);
        Assert.Equal("10.0.0.0/8", authBridge["AuthBridge__TrustedProxies__0"]);
    }

    private static Dictionary<string, string> Env(JsonObject resources, string name) =>
        resources[name]!["env"]!.AsObject().ToDictionary(kv => kv.Key, kv => (string)kv.Value!);

    private static (JsonObject Manifest, string Raw) Publish(Dictionary<string, string> secrets, params string[] arguments)
    {
        var root = DashboardTests.RepositoryRoot();
        var output = Path.Combine(Path.GetTempPath(), $"commeazy-manifest-{Guid.NewGuid():N}.json");
        var environment = string.Join(' ', secrets.Select(kv => $"'Parameters__{kv.Key}={kv.Value}'"));
        try
        {
            var (exit, stdout, stderr) = DockerEnvironment.Run("bash",
                ["-c", $"env {environment} dotnet run --project CommEazy.AppHost --no-build --no-launch-profile -- --publisher manifest --output-path {output} {string.Join(' ', arguments)}"],
                TimeSpan.FromMinutes(3), workingDirectory: root);
            Assert.True(File.Exists(output), $"no manifest written (exit {exit}):\n{stdout}\n{stderr}");
            var raw = File.ReadAllText(output);
            Assert.All(secrets.Values, value => Assert.DoesNotContain(value, stdout + stderr));
            return (JsonNode.Parse(raw)!.AsObject(), raw);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
