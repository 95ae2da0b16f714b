using System.Net.Sockets;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace CommEazy.PushGateway.Component;

/// <summary>The link could not be set up or was refused (wrong secret, conflict, not a component port, timeout).</summary>
internal sealed class ComponentLinkException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>
/// One authenticated XEP-0114 stream to a Prosody node: TCP, the <c>jabber:component:accept</c> stream header,
/// and the handshake <c>SHA-1(stream id ‖ secret)</c> in lowercase hex. Reads stanzas one at a time; writes are
/// serialised. Disposing it aborts any pending read.
/// </summary>
internal sealed class ComponentConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly XmppStreamReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _disposed;

    private ComponentConnection(TcpClient tcp, int maxStanzaBytes)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new XmppStreamReader(_stream, maxStanzaBytes);
    }

    /// <summary>Connects to <paramref name="endpoint"/> and authenticates as <paramref name="jid"/>; throws <see cref="ComponentLinkException"/>.</summary>
    public static async Task<ComponentConnection> OpenAsync(Uri endpoint, string jid, string secret, int maxStanzaBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var tcp = new TcpClient { NoDelay = true };
        ComponentConnection? connection = null;
        // XmlReader's reads take no token: on timeout the socket is closed under them.
        await using var abort = deadline.Token.Register(tcp.Dispose);
        try
        {
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, deadline.Token).ConfigureAwait(false);
            tcp.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            connection = new ComponentConnection(tcp, maxStanzaBytes);
            await connection.SendRawAsync(
                $"<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='{SecurityElement.Escape(jid)}'>",
                deadline.Token).ConfigureAwait(false);
            var header = await connection._reader.ReadHeaderAsync().ConfigureAwait(false);
            if (!header.TryGetValue("id", out var streamId) || streamId.Length == 0)
            {
                throw new ComponentLinkException("the node's stream header has no id");
            }
            await connection.SendRawAsync($"<handshake>{Handshake(streamId, secret)}</handshake>", deadline.Token).ConfigureAwait(false);
            var answer = await connection._reader.ReadStanzaAsync().ConfigureAwait(false);
            if (answer?.Name == Ns.Component + "handshake")
            {
                return connection;
            }
            throw new ComponentLinkException(answer?.Name == Ns.Streams + "error"
                ? $"the node refused the handshake: {StreamErrorCondition(answer)}"
                : "the node closed the stream during the handshake");
        }
        catch (Exception e)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            tcp.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            if (e is ComponentLinkException)
            {
                throw;
            }
            if (deadline.IsCancellationRequested)
            {
                throw new ComponentLinkException($"no handshake within {timeout.TotalSeconds:0.#} s", e);
            }
            throw new ComponentLinkException(e switch
            {
                SocketException s => $"connection failed ({s.SocketErrorCode})",
                XmppStreamException x => $"not an XMPP component stream ({x.Message})",
                _ => $"connection failed ({e.GetType().Name})",
            }, e);
        }
    }

    /// <summary>XEP-0114 §3: lowercase hex SHA-1 of the stream id followed by the shared secret.</summary>
    public static string Handshake(string streamId, string secret) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(streamId + secret)));

    /// <summary>The next stanza; <see langword="null"/> when the node closed the stream. Throws on a broken stream.</summary>
    public Task<XElement?> ReadStanzaAsync() => _reader.ReadStanzaAsync();

    public Task SendAsync(XElement stanza, CancellationToken cancellationToken) =>
        SendRawAsync(stanza.ToString(SaveOptions.DisableFormatting | SaveOptions.OmitDuplicateNamespaces), cancellationToken);

    /// <summary>Stops receiving (a pending read then sees the end of the stream) while replies can still be written.</summary>
    public void StopReading()
    {
        try
        {
            _tcp.Client.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>Ends the stream politely (with a stream error when <paramref name="condition"/> is given), then closes.</summary>
    public async Task CloseAsync(string? condition, CancellationToken cancellationToken)
    {
        var text = condition is null
            ? "</stream:stream>"
            : new XElement(Ns.Streams + "error", new XElement(Ns.StreamErrors + condition)).ToString(SaveOptions.DisableFormatting) + "</stream:stream>";
        try
        {
            await SendRawAsync(text, cancellationToken).ConfigureAwait(false);
            await LingerAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
            // Already gone.
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Sends FIN after what was written, then reads and drops what the peer still sends, briefly: closing a socket with
    /// unread input makes the kernel answer RST, and a RST can destroy the stream error before the peer reads it.
    /// </summary>
    private async Task LingerAsync()
    {
        _tcp.Client.Shutdown(SocketShutdown.Send);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var buffer = new byte[8192];
        try
        {
            while (await _tcp.Client.ReceiveAsync(buffer, SocketFlags.None, grace.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            // The peer did not close within the grace period: close anyway.
        }
    }

    private async Task SendRawAsync(string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static string StreamErrorCondition(XElement error) =>
        error.Elements().FirstOrDefault(e => e.Name.Namespace == Ns.StreamErrors && e.Name.LocalName != "text")?.Name.LocalName ?? "undefined-condition";

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // The socket first: that is what ends a pending read (XmlReader refuses to be disposed mid-read).
            _tcp.Dispose();
            try
            {
                _reader.Dispose();
            }
            catch (InvalidOperationException)
            {
                // A read was in progress; it now fails on the closed socket and nothing else holds resources.
            }
        }
        return ValueTask.CompletedTask;
    }
}
