using System.Text.Json;
using System.Text.Json.Nodes;

namespace CommEazy.Tests.Fixtures;

/// <summary>Runs one of the xmpp.js scenarios in <c>CommEazy.Tests/js</c> with real Node.js, as the app would connect.</summary>
internal static class XmppScenario
{
    private static readonly Lazy<string> Scripts = new(FindAndInstallScripts);
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Runs <paramref name="script"/> with <paramref name="input"/> on stdin (it holds passwords) and returns its JSON result;
    /// <paramref name="environment"/> adds to Node's environment (e.g. <c>NODE_EXTRA_CA_CERTS</c>).
    /// </summary>
    public static async Task<JsonNode> RunAsync(string script, object input, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var directory = ScriptsDirectory;
        var (exit, output, error) = await Task.Run(() => DockerEnvironment.Run(
            "node", ["--experimental-websocket", "--no-warnings", script], timeout, JsonSerializer.Serialize(input, WebJson), directory, environment));
        Assert.True(exit == 0, $"{script} failed (exit {exit}):\n{error}\n{output}");
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonNode.Parse(lastLine)!;
    }

    /// <summary><c>CommEazy.Tests/js</c>, with its npm packages installed.</summary>
    public static string ScriptsDirectory => Scripts.Value;

    private static string FindAndInstallScripts()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CommEazy.Tests", "js", "package.json")))
        {
            directory = directory.Parent;
        }
        var scripts = directory is null
            ? throw new InvalidOperationException("CommEazy.Tests/js not found above " + AppContext.BaseDirectory)
            : Path.Combine(directory.FullName, "CommEazy.Tests", "js");
        if (!Directory.Exists(Path.Combine(scripts, "node_modules", "@xmpp", "client")))
        {
            var (exit, _, error) = DockerEnvironment.Run("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5), workingDirectory: scripts);
            Assert.True(exit == 0, $"npm ci in {scripts} failed: {error}");
        }
        return scripts;
    }
}
