using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using System.Xml.Linq;
using CommEazy.PushGateway.Component;

namespace CommEazy.Tests.Fakes.Prosody;

/// <summary>
/// The Prosody side of XEP-0114 for tests: listens on 127.0.0.1, and for each connection checks the stream header
/// (namespace <c>jabber:component:accept</c>, <c>to</c> = the component JID), sends a fresh stream id, and checks the
/// handshake is the lowercase hex SHA-1 of id and secret, answering <c>&lt;handshake/&gt;</c> or closing with
/// <c>not-authorized</c> as Prosody does. Like Prosody with <c>component_conflict_resolve = "kick_old"</c>, a new
/// authenticated link replaces the previous one. Every stanza the component sends must come from its JID
/// (Prosody's <c>validate_from_addresses</c>); breaches are noted in <see cref="ProtocolViolations"/>.
/// It parses the component's output with the gateway's <see cref="XmppStreamReader"/> (a plain XmlReader
/// wrapper), so what it checks is the protocol, not the parser.
/// </summary>
internal sealed class FakeComponentServer : IAsyncDisposable
{
    private readonly string _jid;
    private readonly string _secret;
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly Channel<FakeComponentSession> _sessions = Channel.CreateUnbounded<FakeComponentSession>();
    private readonly CancellationTokenSource _stop = new();
    private TcpListener _listener;
    private Task _accepting;
    private FakeComponentSession? _current;
    private int _handshakes;
    private int _refused;

    public FakeComponentServer(string jid, string secret, string domain, int port = 0)
    {
        _jid = jid;
        _secret = secret;
        Domain = domain;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_listener);
    }

    public string Domain { get; }

    public int Port { get; }

    public Uri Address => new($"tcp://127.0.0.1:{Port}");

    /// <summary>Successful handshakes so far.</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    /// <summary>Handshakes refused (wrong secret or JID).</summary>
    public int Refused => Volatile.Read(ref _refused);

    public IReadOnlyList<string> ProtocolViolations => [.. _violations];

    /// <summary>Waits for the next authenticated link.</summary>
    public async Task<FakeComponentSession> NextSessionAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _sessions.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Like a node going down: stops listening and drops every connection (no stream close).</summary>
    public async Task GoDownAsync()
    {
        _listener.Stop();
        await _accepting;
        if (_current is { } session)
        {
            await session.DropAsync();
        }
    }

    /// <summary>Like the node coming back on the same port.</summary>
    public void ComeBack()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _accepting = AcceptAsync(_listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(() => HandshakeAsync(client));
        }
    }

    private async Task HandshakeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var reader = new XmppStreamReader(stream, 1024 * 1024);
        try
        {
            var header = await reader.ReadHeaderAsync();
            if (!header.TryGetValue("to", out var to) || to != _jid)
            {
                _violations.Enqueue($"stream header to='{to}' (expected '{_jid}')");
            }
            var streamId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            await Write(stream, $"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='{streamId}' from='{_jid}'>");
            var handshake = await reader.ReadStanzaAsync();
            var expected = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(streamId + _secret)));
            if (handshake?.Name != Ns.Component + "handshake" || handshake.Value != expected || to != _jid)
            {
                Interlocked.Increment(ref _refused);
                await Write(stream, "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
                client.Dispose();
                return;
            }
            await Write(stream, "<handshake/>");
            Interlocked.Increment(ref _handshakes);
            var session = new FakeComponentSession(client, reader, _jid, Domain, _violations);
            var previous = Interlocked.Exchange(ref _current, session);
            if (previous is not null)
            {
                await previous.CloseAsync("conflict");
            }
            session.Start();
            await _sessions.Writer.WriteAsync(session);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or XmppStreamException)
        {
            client.Dispose();
        }
    }

    internal static Task Write(NetworkStream stream, string text) => stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        if (_current is { } session)
        {
            await session.DropAsync();
        }
    }
}

/// <summary>One authenticated link, seen from Prosody: send stanzas to the component, read what it sends back.</summary>
internal sealed class FakeComponentSession
{
    private readonly TcpClient _client;
    private readonly XmppStreamReader _reader;
    private readonly string _jid;
    private readonly string _domain;
    private readonly ConcurrentQueue<string> _violations;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<XElement>> _awaited = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<XElement> _received = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _id;

    public FakeComponentSession(TcpClient client, XmppStreamReader reader, string jid, string domain, ConcurrentQueue<string> violations)
    {
        _client = client;
        _reader = reader;
        _jid = jid;
        _domain = domain;
        _violations = violations;
    }

    /// <summary>Whether pings from the component are answered (turn off to play a node that hangs).</summary>
    public bool AnswerPings { get; set; } = true;

    /// <summary>Everything the component sent on this link.</summary>
    public IReadOnlyList<XElement> Received => [.. _received];

    /// <summary>Completes when the component ends the link: with the stream error condition it sent, or "closed".</summary>
    public Task<string> Closed => _closed.Task;

    public void Start() => _ = Task.Run(ReadLoopAsync);

    /// <summary>Sends raw XML (any stanza, well-formed or not).</summary>
    public async Task SendRawAsync(string xml)
    {
        await _writeLock.WaitAsync();
        try
        {
            await FakeComponentServer.Write(_client.GetStream(), xml);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends an IQ (its <c>id</c> attribute is set here) and waits for the component's answer.</summary>
    public async Task<XElement> RequestAsync(Func<string, string> iqWithId, TimeSpan? timeout = null)
    {
        var id = "fake-" + Interlocked.Increment(ref _id);
        var answer = new TaskCompletionSource<XElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaited[id] = answer;
        await SendRawAsync(iqWithId(id));
        return await answer.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
    }

    /// <summary>Publishes exactly as Prosody 13's mod_cloud_notify (plus mod_commeazy_push's kind) does, and waits for the answer.</summary>
    public Task<XElement> PublishAsync(string node, string? secret, string kind = "message", string? from = null) =>
        RequestAsync(id => PublishXml(id, node, secret, kind, from ?? _domain, _jid));

    public static string PublishXml(string id, string node, string? secret, string kind, string from, string to)
    {
        var options = secret is null ? "" :
            "<publish-options><x xmlns='jabber:x:data' type='submit'>" +
            "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>" +
            $"<field var='secret'><value>{System.Security.SecurityElement.Escape(secret)}</value></field></x></publish-options>";
        return $"<iq to='{to}' from='{from}' type='set' id='{id}'><pubsub xmlns='http://jabber.org/protocol/pubsub'>" +
            $"<publish node='{System.Security.SecurityElement.Escape(node)}'><item><notification xmlns='urn:xmpp:push:0'>" +
            "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:push:summary</value></field>" +
            "<field var='message-count'><value>1</value></field><field var='last-message-body'><value>New Message!</value></field></x>" +
            $"<kind xmlns='urn:commeazy:push:0'>{kind}</kind></notification></item></publish>{options}</pubsub></iq>";
    }

    /// <summary>Closes the link as Prosody does (optionally with a stream error).</summary>
    public async Task CloseAsync(string? condition = null)
    {
        try
        {
            await SendRawAsync(condition is null ? "</stream:stream>"
                : $"<stream:error><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        _client.Dispose();
    }

    /// <summary>Drops the TCP connection without any stream close.</summary>
    public Task DropAsync()
    {
        _client.Client.LingerState = new LingerOption(true, 0); // RST, like a crashed process
        _client.Dispose();
        return Task.CompletedTask;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadStanzaAsync() is { } stanza)
            {
                _received.Enqueue(stanza);
                if (stanza.Name == Ns.Streams + "error")
                {
                    _closed.TrySetResult(stanza.Elements().First().Name.LocalName);
                    break;
                }
                Check(stanza);
                var id = stanza.Attribute("id")?.Value;
                var type = stanza.Attribute("type")?.Value;
                if (id is not null && type is "result" or "error" && _awaited.TryRemove(id, out var waiter))
                {
                    waiter.TrySetResult(stanza);
                }
                else if (type == "get" && stanza.Element(Ns.Ping + "ping") is not null && AnswerPings)
                {
                    await SendRawAsync($"<iq type='result' id='{id}' from='{_domain}' to='{_jid}'/>");
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or XmppStreamException)
        {
        }
        _closed.TrySetResult("closed");
    }

    private void Check(XElement stanza)
    {
        if (stanza.Name.Namespace != Ns.Component || stanza.Name.LocalName is not ("iq" or "message" or "presence"))
        {
            _violations.Enqueue($"not a stanza: {stanza.Name}");
        }
        if (stanza.Attribute("from")?.Value != _jid)
        {
            _violations.Enqueue($"stanza from '{stanza.Attribute("from")?.Value}' (a component may only send from '{_jid}')");
        }
        if (stanza.Attribute("type")?.Value == "error")
        {
            var error = stanza.Element(Ns.Component + "error");
            if (error?.Attribute("type")?.Value is not ("wait" or "cancel" or "auth" or "modify" or "continue")
                || !error.Elements().Any(e => e.Name.Namespace == Ns.StanzaErrors && e.Name.LocalName != "text"))
            {
                _violations.Enqueue("an error stanza without a typed RFC 6120 error condition");
            }
        }
    }
}
