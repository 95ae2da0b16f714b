using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CommEazy.Tests.Fixtures;

/// <summary>A command the xmpp.js driver answered with <c>ok: false</c>.</summary>
public sealed class XmppDriverException(string command, string error, string diagnostics)
    : Exception($"{command} failed: {error}\nThe driver's stderr:\n{diagnostics}")
{
    public string Error { get; } = error;
}

/// <summary>
/// Real xmpp.js clients driven step by step (<c>CommEazy.Tests/js/driver.mjs</c>), so a test can interleave what
/// apps do with checks on the server side. Commands go to the driver's stdin (they hold passwords and push secrets,
/// which never show in a process list); answers come back one JSON line each.
/// </summary>
internal sealed class XmppDriver : IAsyncDisposable
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);
    private readonly Process _process;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _reading;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _nextId;

    private XmppDriver(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _reading = Task.Run(ReadAnswersAsync);
    }

    public static XmppDriver Start()
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = XmppScenario.ScriptsDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--experimental-websocket", "--no-warnings", "driver.mjs" })
        {
            start.ArgumentList.Add(arg);
        }
        return new XmppDriver(Process.Start(start)!);
    }

    /// <summary>What the driver wrote to stderr (library errors, reconnect attempts): for failure messages.</summary>
    public string Diagnostics
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Runs a command; throws <see cref="XmppDriverException"/> when the driver reports a failure.</summary>
    public async Task<JsonObject> CallAsync(string command, object arguments, TimeSpan? timeout = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = JsonSerializer.SerializeToNode(arguments, WebJson)!.AsObject();
        message["id"] = id;
        message["cmd"] = command;
        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        await _writeLock.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(message.ToJsonString());
            await _process.StandardInput.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
        JsonObject result;
        try
        {
            result = await answer.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the driver did not answer {command} in time. Its stderr:\n{Diagnostics}");
        }
        return (bool?)result["ok"] == true ? result : throw new XmppDriverException(command, (string?)result["error"] ?? "unknown", Diagnostics);
    }

    private async Task ReadAnswersAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (JsonNode.Parse(line) is JsonObject answer && (int?)answer["id"] is { } id && _pending.TryRemove(id, out var waiter))
            {
                waiter.TrySetResult(answer);
            }
        }
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(new InvalidOperationException($"the xmpp.js driver exited. Its stderr:\n{Diagnostics}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(exited.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _reading;
        _process.Dispose();
    }
}
