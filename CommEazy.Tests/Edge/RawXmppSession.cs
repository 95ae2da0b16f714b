using System.Net.WebSockets;
using System.Text;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// An XMPP session over a bare .NET WebSocket (RFC 7395), for tests that must control the frames an app sends (their
/// size, their fragmentation) and see the close it gets. It signs in with SASL PLAIN (the nodes offer it over the
/// Edge's internal ws) and binds a resource; no stream management, so a session whose connection ends ends at once.
/// </summary>
internal sealed class RawXmppSession : IDisposable
{
    private const string Framing = "urn:ietf:params:xml:ns:xmpp-framing";
    private readonly ClientWebSocket _socket;

    private RawXmppSession(ClientWebSocket socket) => _socket = socket;

    /// <summary>The bound full JID.</summary>
    public string FullJid { get; private set; } = "";

    /// <summary>Connects to <paramref name="session"/>'s WebSocket URL, signs in and binds.</summary>
    public static async Task<RawXmppSession> BindAsync(AppSession session, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("xmpp");
        await socket.ConnectAsync(new Uri(session.WebSocketUrl), ct);
        var xmpp = new RawXmppSession(socket);
        var at = session.Jid.IndexOf('@', StringComparison.Ordinal);
        var (user, domain) = (session.Jid[..at], session.Jid[(at + 1)..]);

        await xmpp.SendAsync($"<open xmlns='{Framing}' to='{domain}' version='1.0'/>", ct);
        await xmpp.ReceiveUntilAsync(m => m.Contains("PLAIN", StringComparison.Ordinal), ct);
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{session.Password}"));
        await xmpp.SendAsync($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{credentials}</auth>", ct);
        var outcome = await xmpp.ReceiveUntilAsync(m => m.StartsWith("<success", StringComparison.Ordinal) || m.StartsWith("<failure", StringComparison.Ordinal), ct);
        Assert.StartsWith("<success", outcome);
        await xmpp.SendAsync($"<open xmlns='{Framing}' to='{domain}' version='1.0'/>", ct);
        await xmpp.ReceiveUntilAsync(m => m.Contains("urn:ietf:params:xml:ns:xmpp-bind", StringComparison.Ordinal), ct);
        await xmpp.SendAsync("<iq xmlns='jabber:client' type='set' id='bind-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>", ct);
        var bound = await xmpp.ReceiveUntilAsync(m => m.Contains("bind-1", StringComparison.Ordinal), ct);
        var jidStart = bound.IndexOf("<jid>", StringComparison.Ordinal) + "<jid>".Length;
        xmpp.FullJid = bound[jidStart..bound.IndexOf("</jid>", StringComparison.Ordinal)];
        return xmpp;
    }

    /// <summary>Sends one WebSocket message, in one frame or split into <paramref name="fragments"/> frames.</summary>
    public async Task SendAsync(string xml, CancellationToken ct, int fragments = 1)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        var size = (bytes.Length + fragments - 1) / fragments;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var length = Math.Min(size, bytes.Length - offset);
            await _socket.SendAsync(bytes.AsMemory(offset, length), WebSocketMessageType.Text, offset + length == bytes.Length, ct);
        }
    }

    /// <summary>Receives messages until one matches (those before it are skipped); fails on a close or after 15 s.</summary>
    public async Task<string> ReceiveUntilAsync(Func<string, bool> match, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (true)
        {
            var message = await ReceiveMessageAsync(timeout.Token)
                ?? throw new InvalidOperationException($"the connection closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) before the awaited message");
            if (match(message))
            {
                return message;
            }
        }
    }

    /// <summary>Receives until the server closes the WebSocket; returns its close status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string Description)> ReceiveCloseAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (await ReceiveMessageAsync(timeout.Token) is not null)
        {
        }
        return (_socket.CloseStatus, _socket.CloseStatusDescription ?? "");
    }

    /// <summary>One whole message, or null when the server closed.</summary>
    private async Task<string?> ReceiveMessageAsync(CancellationToken ct)
    {
        var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                }
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    public void Dispose()
    {
        _socket.Abort();
        _socket.Dispose();
    }
}
