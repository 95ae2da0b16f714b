using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using CommEazy.Tests.Fixtures;
using Microsoft.Diagnostics.NETCore.Client;

namespace CommEazy.Tests.Edge;

/// <summary>
/// An Edge process of the test's own: the built <c>CommEazy.Edge.dll</c> run with <c>dotnet</c> and the environment the
/// AppHost gives the cluster's Edge (its nodes, database, settings), on ports of its own, so a benchmark can load and
/// measure it without touching the shared Edge. Killed (by its own process) when disposed.
/// </summary>
internal sealed class EdgeProcess : IAsyncDisposable
{
    // What is the cluster Edge's alone: its ports and telemetry, and the public-face settings the fixture gives it.
    private static readonly string[] NotCopied = ["ASPNETCORE_URLS", "HTTP_PORTS", "HTTPS_PORTS", "ASPNETCORE_HTTPS_PORTS", "InternalPort",
        "OTEL_", "Edge__PublicPort", "Edge__PublicHttpsPort", "Edge__PublicCertificate", "Edge__TrustedProxies", "Edge__ConnectionsPerAddress",
        "Edge__Admission", "Edge__Relay"];

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private int _disposed;

    private EdgeProcess(Process process, int publicPort, int internalPort)
    {
        _process = process;
        PublicPort = publicPort;
        InternalPort = internalPort;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int PublicPort { get; }
    public int InternalPort { get; }
    public int Pid => _process.Id;

    /// <summary>Starts an Edge with the cluster Edge's environment plus <paramref name="settings"/> (<c>Edge__…</c> names) and waits until it is ready.</summary>
    public static async Task<EdgeProcess> StartAsync(CommEazyAppFixture cluster, IReadOnlyDictionary<string, string> settings)
    {
        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState("edge", out var edge), "the cluster has no edge resource");
        var environment = edge.Snapshot.EnvironmentVariables
            .Where(v => v.Value is not null && !NotCopied.Any(p => v.Name.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(v => v.Name, v => v.Value!);
        Assert.True(environment.ContainsKey("Edge__Nodes__0__Address") && environment.ContainsKey("ConnectionStrings__prosody"),
            "the edge resource's snapshot lacks its environment (nodes, database)");

        var (publicPort, internalPort) = (FreeTcpPort(), FreeTcpPort());
        var dll = EdgeDll();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{publicPort};http://127.0.0.1:{internalPort}";
        start.Environment["InternalPort"] = internalPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Edge__PublicPort"] = publicPort.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }
        var process = new EdgeProcess(Process.Start(start)!, publicPort, internalPort);
        await process.WaitUntilReadyAsync();
        return process;
    }

    /// <summary>Resident memory (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{Pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>
    /// Has the process run a full, blocking GC (an EventPipe session with the GC heap-collect keyword, as <c>dotnet-gcdump</c>
    /// does), then returns its managed heap after that GC and how many gen2 GCs it has run (from its own metrics).
    /// </summary>
    public async Task<(long HeapBytes, long Gen2Collections)> CollectAndMeasureHeapAsync()
    {
        const long gcKeyword = 0x1, gcHeapCollectKeyword = 0x800000;
        var client = new DiagnosticsClient(Pid);
        using (var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, gcKeyword | gcHeapCollectKeyword)],
            requestRundown: false, circularBufferMB: 16))
        {
            var draining = session.EventStream.CopyToAsync(Stream.Null);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await session.StopAsync(CancellationToken.None);
            await draining;
        }
        await Task.Delay(TimeSpan.FromSeconds(0.5)); // the Prometheus exporter caches a scrape briefly
        var metrics = await ScrapeAsync();
        return (Sum(metrics, "dotnet_gc_last_collection_heap_size_bytes"), Sum(metrics, "dotnet_gc_collections_total", "gen2"));
    }

    private async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync($"http://127.0.0.1:{InternalPort}/metrics");
    }

    /// <summary>The sum of a Prometheus metric's samples (those whose labels mention <paramref name="label"/>, if given).</summary>
    private static long Sum(string metrics, string name, string? label = null)
    {
        var samples = metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => label is null || l[..l.LastIndexOf(' ')].Contains($"\"{label}\"", StringComparison.Ordinal))
            .Select(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(samples.Count > 0, $"the Edge's /metrics has no {name}{(label is null ? "" : $" for {label}")}");
        return samples.Sum();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"the Edge process exited ({_process.ExitCode}):\n{LastLines}");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{InternalPort}/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"the Edge process did not become healthy:\n{LastLines}");
            await Task.Delay(250);
        }
    }

    /// <summary>The Edge's build output beside the tests' (same configuration and framework).</summary>
    private static string EdgeDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "CommEazy.sln")))
        {
            root = root.Parent;
        }
        Assert.NotNull(root);
        var dll = Path.Combine(root.FullName, "CommEazy.Edge", "bin", configuration, framework, "CommEazy.Edge.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        return dll;
    }

    private string LastLines
    {
        get
        {
            lock (_lastLines)
            {
                return string.Join('\n', _lastLines);
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 30)
            {
                _lastLines.Dequeue();
            }
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
