using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace CommEazy.Tests.Edge;

/// <summary>What a test sends the Edge's public listener: raw HTTP (to see exactly what Kestrel answers) and WebSockets as apps open them.</summary>
internal static class EdgeRequests
{
    /// <summary>A user key <c>u</c> of the right shape: connections with different ones spread over the nodes.</summary>
    public static string RandomUserKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The head of an <c>xmpp</c> WebSocket upgrade of <c>/xmpp-websocket</c>, optionally claiming a forwarded client address.</summary>
    public static string UpgradeHead(string? forwardedFor = null, string? subprotocol = "xmpp") =>
        $"GET /xmpp-websocket?u={RandomUserKey()} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\n" +
        (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n") +
        (forwardedFor is null ? "" : $"X-Forwarded-For: {forwardedFor}\r\n") + "\r\n";

    /// <summary>
    /// Sends <paramref name="head"/> (and <paramref name="body"/>) on a fresh connection to <paramref name="address"/> and
    /// returns the status and everything the server sent until it closed or went quiet (a 101 is left open: not read on).
    /// </summary>
    public static async Task<(int Status, string Response)> SendAsync(IPAddress address, int port, string head, byte[]? body = null)
    {
        using var tcp = new TcpClient(address.AddressFamily);
        await tcp.ConnectAsync(address, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        if (body is not null)
        {
            try
            {
                await stream.WriteAsync(body);
            }
            catch (IOException)
            {
                // The server may answer and close before the whole body is sent: its answer is what counts.
            }
        }
        var received = new MemoryStream();
        var buffer = new byte[8192];
        using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, quiet.Token);
                if (n == 0)
                {
                    break;
                }
                received.Write(buffer, 0, n);
                var text = Encoding.ASCII.GetString(received.ToArray());
                if (text.StartsWith("HTTP/1.1 101", StringComparison.Ordinal) && text.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
                quiet.CancelAfter(TimeSpan.FromSeconds(2));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Quiet for a while, or reset after the answer: what came is the answer.
        }
        var response = Encoding.UTF8.GetString(received.ToArray());
        var status = response.Length >= 12 && int.TryParse(response.AsSpan(9, 3), out var code) ? code : 0;
        return (status, response);
    }

    /// <summary>
    /// Opens an <c>xmpp</c> WebSocket to the Edge's public listener at <paramref name="address"/> as an app does, claiming
    /// <paramref name="forwardedFor"/> if given; an admission refusal (503, the Edge pacing new connections per node) is
    /// retried after its Retry-After, as the app does. Returns the open socket, or throws with the final status.
    /// </summary>
    public static async Task<ClientWebSocket> OpenAsync(IPAddress address, int port, string? forwardedFor, CancellationToken cancellationToken)
    {
        var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        for (var attempt = 1; ; attempt++)
        {
            var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol("xmpp");
            socket.Options.CollectHttpResponseDetails = true;
            if (forwardedFor is not null)
            {
                socket.Options.SetRequestHeader("X-Forwarded-For", forwardedFor);
            }
            try
            {
                await socket.ConnectAsync(new Uri($"ws://{host}:{port}/xmpp-websocket?u={RandomUserKey()}"), cancellationToken);
                return socket;
            }
            catch (WebSocketException) when (socket.HttpStatusCode == HttpStatusCode.ServiceUnavailable && attempt < 60)
            {
                var retryAfter = socket.HttpResponseHeaders?.TryGetValue("Retry-After", out var values) == true
                    && int.TryParse(values.FirstOrDefault(), out var seconds) ? seconds : 1;
                socket.Dispose();
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(retryAfter, 3)) * Random.Shared.NextDouble() + TimeSpan.FromMilliseconds(100), cancellationToken);
            }
            catch (WebSocketException e)
            {
                var status = socket.HttpStatusCode;
                socket.Dispose();
                throw new InvalidOperationException($"the Edge answered the upgrade with {(int)status}", e);
            }
        }
    }

    /// <summary>
    /// Keeps a receive pending on <paramref name="socket"/> until it ends, so its pongs answer the Edge's pings (a .NET
    /// WebSocket handles control frames only while a receive runs) and an idle connection stays open.
    /// </summary>
    public static async Task KeepReceivingAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
