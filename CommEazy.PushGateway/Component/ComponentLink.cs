using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Xml.Linq;
using Polly;
using Polly.Retry;

namespace CommEazy.PushGateway.Component;

/// <summary>Where a link stands: <c>connecting</c> (or reconnecting after a failure), <c>connected</c> (authenticated), <c>stopped</c>.</summary>
internal enum LinkState
{
    Connecting,
    Connected,
    Stopped,
}

/// <summary>A link's state, since when, and the last failure (a short reason, never a secret).</summary>
internal sealed record LinkStatus(LinkState State, DateTimeOffset Since, string? LastError);

/// <summary>
/// The gateway's XEP-0114 link to one Prosody node, for the life of the service: connects, reconnects with
/// exponential backoff and jitter (Polly) whenever the node restarts or the link dies, proves the link alive with
/// XEP-0199 pings, and hands each IQ to the <see cref="PublishHandler"/>, answering at most
/// <see cref="ComponentOptions.MaxConcurrentPublishes"/> at once. On shutdown it stops reading, lets the
/// publishes in flight finish and answer, then closes the stream.
/// </summary>
internal sealed class ComponentLink
{
    private readonly ComponentNode _node;
    private readonly ComponentOptions _options;
    private readonly PublishHandler _handler;
    private readonly PushGatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _connect;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _pings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(20);

    private volatile LinkStatus _status;
    private volatile string? _pingFailure;
    private long _pingCounter;

    public ComponentLink(ComponentNode node, ComponentOptions options, PublishHandler handler, PushGatewayMetrics metrics, TimeProvider time, ILogger logger)
    {
        _node = node;
        _options = options;
        _handler = handler;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxConcurrentPublishes, options.MaxConcurrentPublishes);
        _status = new LinkStatus(LinkState.Connecting, time.GetUtcNow(), null);
        _connect = new ResiliencePipelineBuilder
        {
            TimeProvider = time,
        }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<ComponentLinkException>(),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.ReconnectBaseDelay,
            MaxDelay = options.ReconnectMaxDelay,
            OnRetry = args =>
            {
                var reason = args.Outcome.Exception?.Message ?? "unknown";
                _status = new LinkStatus(LinkState.Connecting, _status.Since, reason);
                Log.LinkConnectFailed(_logger, NodeId, reason, args.RetryDelay);
                return default;
            },
        })
        .Build();
    }

    public string NodeId => _node.Id;

    public LinkStatus Status => _status;

    /// <summary>Keeps the link up until <paramref name="stopping"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            ComponentConnection connection;
            try
            {
                connection = await _connect.ExecuteAsync(
                    async ct => await ComponentConnection.OpenAsync(_node.Address, _options.Jid, _options.Secret, _options.MaxStanzaBytes, _options.ConnectTimeout, ct),
                    stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            var reason = await ServeAsync(connection, stopping).ConfigureAwait(false);
            if (!stopping.IsCancellationRequested)
            {
                _status = new LinkStatus(LinkState.Connecting, _time.GetUtcNow(), reason);
                _metrics.LinkLost(NodeId);
                Log.LinkLost(_logger, NodeId, reason);
            }
        }
        _status = new LinkStatus(LinkState.Stopped, _time.GetUtcNow(), null);
    }

    private async Task<string> ServeAsync(ComponentConnection connection, CancellationToken stopping)
    {
        _status = new LinkStatus(LinkState.Connected, _time.GetUtcNow(), null);
        Log.LinkUp(_logger, NodeId, _options.Jid);
        using var linkAlive = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var pinger = PingAsync(connection, linkAlive.Token);
        // Shutdown: stop taking stanzas (the read below then ends), answer what is in flight, close.
        var drainOnStop = stopping.Register(connection.StopReading);
        string reason;
        try
        {
            reason = await ReadLoopAsync(connection).ConfigureAwait(false);
        }
        catch (XmppStreamException e)
        {
            reason = e.Message;
            Log.LinkProtocolError(_logger, NodeId, e.Condition, e.Message);
            await connection.CloseAsync(e.Condition, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            reason = _pingFailure ?? "connection lost";
        }
        finally
        {
            await drainOnStop.DisposeAsync().ConfigureAwait(false);
        }
        await linkAlive.CancelAsync().ConfigureAwait(false);
        await pinger.ConfigureAwait(false);
        if (stopping.IsCancellationRequested)
        {
            await DrainAsync().ConfigureAwait(false);
            await connection.CloseAsync(null, CancellationToken.None).ConfigureAwait(false);
            Log.LinkClosed(_logger, NodeId);
            reason = "stopping";
        }
        await connection.DisposeAsync().ConfigureAwait(false);
        _pingFailure = null;
        return reason;
    }

    /// <summary>Waits (bounded) for the publishes in flight to be answered; a provider call is bounded by its own total timeout.</summary>
    private async Task DrainAsync()
    {
        try
        {
            await Task.WhenAll(_inFlight.Keys).WaitAsync(DrainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.DrainTimedOut(_logger, NodeId, _inFlight.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Each publish reports its own failure (Dispatch); only the waiting matters here.
        }
    }

    private async Task<string> ReadLoopAsync(ComponentConnection connection)
    {
        while (await connection.ReadStanzaAsync().ConfigureAwait(false) is { } stanza)
        {
            if (stanza.Name == Ns.Streams + "error")
            {
                var condition = stanza.Elements().FirstOrDefault(e => e.Name.Namespace == Ns.StreamErrors && e.Name.LocalName != "text")?.Name.LocalName;
                return $"the node ended the stream with {condition ?? "an error"}";
            }
            Dispatch(connection, stanza);
        }
        return "the node closed the stream";
    }

    private void Dispatch(ComponentConnection connection, XElement stanza)
    {
        var type = stanza.Attr("type");
        if (stanza.Name != Ns.Component + "iq" || type is null)
        {
            // Messages and presences have no business here (Prosody's guard keeps users away); never answered.
            Log.StanzaIgnored(_logger, NodeId, stanza.Name.LocalName);
            return;
        }
        if (type is "result" or "error")
        {
            if (stanza.Attr("id") is { } id && stanza.Attr("from") == _options.XmppDomain && _pings.TryRemove(id, out var pong))
            {
                pong.TrySetResult();
            }
            return;
        }
        if (!_slots.Wait(0))
        {
            _metrics.IqAnswered(NodeId, "wait", "busy", TimeSpan.Zero);
            _ = SendQuietlyAsync(connection, Stanza.Error(stanza, _options.Jid, StanzaError.Wait("resource-constraint", "too many pushes in flight; try later")));
            return;
        }
        var work = Task.Run(async () =>
        {
            try
            {
                XElement reply;
                try
                {
                    reply = await _handler.HandleAsync(stanza, NodeId, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // A bug of ours: Prosody still gets an answer, and one that does not count against the registration.
                    Log.PublishFailed(_logger, NodeId, e);
                    _metrics.IqAnswered(NodeId, "wait", "internal_error", TimeSpan.Zero);
                    reply = Stanza.Error(stanza, _options.Jid, StanzaError.Wait("internal-server-error", "the push app server failed; try later"));
                }
                await SendQuietlyAsync(connection, reply).ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        });
        _inFlight.TryAdd(work, 0);
        _ = work.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task SendQuietlyAsync(ComponentConnection connection, XElement reply)
    {
        try
        {
            await connection.SendAsync(reply, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The link dropped while the push was out; Prosody does not wait for this answer.
            Log.ReplyLost(_logger, NodeId);
        }
    }

    private async Task PingAsync(ComponentConnection connection, CancellationToken linkAlive)
    {
        using var timer = new PeriodicTimer(_options.PingInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(linkAlive).ConfigureAwait(false))
            {
                var id = "ping-" + Interlocked.Increment(ref _pingCounter);
                var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _pings[id] = pong;
                await connection.SendAsync(new XElement(Ns.Component + "iq",
                    new XAttribute("type", "get"), new XAttribute("id", id), new XAttribute("from", _options.Jid), new XAttribute("to", _options.XmppDomain),
                    new XElement(Ns.Ping + "ping")), linkAlive).ConfigureAwait(false);
                try
                {
                    await pong.Task.WaitAsync(_options.PingTimeout, _time, linkAlive).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    _pingFailure = $"no answer to a ping within {_options.PingTimeout.TotalSeconds:0.#} s";
                    await connection.DisposeAsync().ConfigureAwait(false); // ends the read loop
                    return;
                }
                finally
                {
                    _pings.TryRemove(id, out _);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The link is going away; the read loop reports why.
        }
    }
}
