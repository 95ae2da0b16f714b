using System.Buffers;
using System.Net.WebSockets;

namespace CommEazy.Edge.Relay;

/// <summary>
/// One app's connection relayed to its node: two pumps copy WebSocket messages until one side ends. An app's message
/// reaches the node whole, in one frame (Prosody takes no continuation frames); the node's go to the app piece by piece.
/// An idle connection holds no buffer: each pump waits with a zero-byte receive and rents a buffer only for the message
/// that arrived.
/// How it ends decides what Prosody sees:
/// - the app closes (close frame) or the node closes: the close is passed on, both sides end cleanly;
/// - the app vanishes (its socket fails, or it misses a pong): the node side is aborted without a close, so Prosody
///   keeps the session hibernating for resumption and counts its hibernation time from now;
/// - the node vanishes: the app gets close 1011 and reconnects (to the user's new home if the node is gone for good);
/// - the app sends a message over the size limit: close 1009 to the app, 1008 to the node.
/// </summary>
internal sealed class RelayedConnection(WebSocket client, WebSocket node, string nodeId, int maxMessageBytes, EdgeMetrics metrics)
{
    private const int FrameBuffer = 4096;
    private static readonly TimeSpan CloseHandshake = TimeSpan.FromSeconds(5);

    /// <summary>Relays until the connection ends; returns how it ended (a metric label).</summary>
    public async Task<string> RunAsync()
    {
        using var stop = new CancellationTokenSource();
        metrics.ConnectionOpened(nodeId);
        try
        {
            var fromClient = PumpAsync(client, node, "in", stop.Token);
            var fromNode = PumpAsync(node, client, "out", stop.Token);
            var first = await Task.WhenAny(fromClient, fromNode);
            var ending = await first;
            // The other side is told (above, by the pump that finished); give its close handshake a moment, then stop.
            stop.CancelAfter(CloseHandshake);
            await (first == fromClient ? fromNode : fromClient);
            metrics.ConnectionClosed(nodeId, ending);
            return ending;
        }
        finally
        {
            metrics.ConnectionEnded(nodeId);
        }
    }

    private async Task<string> PumpAsync(WebSocket source, WebSocket target, string direction, CancellationToken stop)
    {
        var fromClient = ReferenceEquals(source, client);
        try
        {
            while (true)
            {
                var peek = await source.ReceiveAsync(Memory<byte>.Empty, stop);
                if (peek.MessageType == WebSocketMessageType.Close)
                {
                    return await ClosedAsync(source, target, fromClient);
                }
                // Toward the node a message goes on only when whole, as one frame: Prosody refuses continuation frames
                // (RFC 7395 §3.3.3), however the app or the network split the message. Toward the app each piece goes
                // on as it comes (the app's WebSocket joins fragments).
                var buffer = ArrayPool<byte>.Shared.Rent(FrameBuffer);
                var length = 0;
                try
                {
                    while (true)
                    {
                        if (length == buffer.Length)
                        {
                            buffer = Grow(buffer);
                        }
                        var received = await source.ReceiveAsync(buffer.AsMemory(length), stop);
                        if (received.MessageType == WebSocketMessageType.Close)
                        {
                            return await ClosedAsync(source, target, fromClient);
                        }
                        length += received.Count;
                        if (fromClient && length > maxMessageBytes)
                        {
                            await TooBigAsync();
                            return "too-big";
                        }
                        if (fromClient && !received.EndOfMessage)
                        {
                            continue;
                        }
                        await target.SendAsync(buffer.AsMemory(0, length), received.MessageType, received.EndOfMessage, stop);
                        metrics.Relayed(direction, length);
                        length = 0;
                        if (received.EndOfMessage)
                        {
                            break;
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException
            or InvalidOperationException) // a send racing the other pump's close
        {
            if (stop.IsCancellationRequested)
            {
                return "ended";
            }
            if (fromClient)
            {
                // The app is gone without a close (no FIN, or no pong in time): no close to Prosody either, so the
                // session hibernates and can be resumed.
                target.Abort();
                return "client-vanished";
            }
            await CloseQuietlyAsync(target, WebSocketCloseStatus.InternalServerError, "the XMPP node went away; reconnect");
            return "node-lost";
        }
    }

    /// <summary>A bigger buffer with the same bytes, never more than one byte over the message limit (enough to see it exceeded).</summary>
    private byte[] Grow(byte[] buffer)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxMessageBytes + 1));
        buffer.AsSpan().CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    /// <summary>
    /// The source sent a close frame: send the same close on, and finish the source's close handshake. Returns how the
    /// connection ended (a metric label).
    /// </summary>
    private static async Task<string> ClosedAsync(WebSocket source, WebSocket target, bool fromClient)
    {
        await CloseQuietlyAsync(target, source.CloseStatus ?? WebSocketCloseStatus.NormalClosure, source.CloseStatusDescription);
        if (source.State == WebSocketState.CloseReceived)
        {
            await CloseQuietlyAsync(source, source.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null);
        }
        return fromClient ? "client-closed" : "node-closed";
    }

    private async Task TooBigAsync()
    {
        await CloseQuietlyAsync(client, WebSocketCloseStatus.MessageTooBig, $"a message may not exceed {maxMessageBytes} bytes");
        await CloseQuietlyAsync(node, WebSocketCloseStatus.PolicyViolation, "the client sent an oversized message");
    }

    private static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string? description)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        using var timeout = new CancellationTokenSource(CloseHandshake);
        try
        {
            await socket.CloseOutputAsync(status, description, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Abort();
        }
    }
}
