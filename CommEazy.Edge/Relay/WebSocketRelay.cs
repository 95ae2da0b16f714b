using System.Net.WebSockets;
using CommEazy.Edge.PublicFace;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace CommEazy.Edge.Relay;

/// <summary>
/// The last step of the proxy pipeline, in place of YARP's byte-for-byte forwarding: the Edge ends each app's
/// WebSocket itself and opens its own to the chosen node, relaying messages between them. That is what lets it ping
/// the app (RFC 6455 ping/pong, which also crosses CDNs and WAFs): an app that vanished without a FIN (out of
/// coverage) misses its pong, and the Edge drops the node-side connection without a close, so Prosody starts the
/// user's hibernation clock at once instead of never (its own read-timeout probe is off with mod_limits, DESIGN.md §4).
/// The node is chosen by <see cref="Cluster.HomeNodeRouting"/> and admitted by <see cref="Admission.NodeAdmission"/>
/// before anything is accepted, so a refused or failed attempt is a plain HTTP answer the app can retry.
/// </summary>
internal static class WebSocketRelay
{
    /// <summary>Adds the relay as the proxy pipeline's terminal step.</summary>
    public static IReverseProxyApplicationBuilder UseWebSocketRelay(this IReverseProxyApplicationBuilder proxy)
    {
        var services = proxy.ApplicationServices;
        var options = services.GetRequiredService<IOptions<EdgeOptions>>();
        var admission = services.GetRequiredService<Admission.NodeAdmission>();
        var metrics = services.GetRequiredService<EdgeMetrics>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSocketRelay));
        proxy.Use((HttpContext context, Func<Task> _) => RelayAsync(context, options.Value, admission, metrics, logger));
        return proxy;
    }

    private static async Task RelayAsync(HttpContext context, EdgeOptions options, Admission.NodeAdmission admission, EdgeMetrics metrics, ILogger logger)
    {
        var node = context.GetReverseProxyFeature().AvailableDestinations[0];
        using var activity = EdgeMetrics.ActivitySource.StartActivity("xmpp.websocket.upgrade");
        activity?.SetTag("server.address", node.DestinationId);

        using var lease = await admission.AdmitAsync(node.DestinationId, context.RequestAborted);
        if (lease is null)
        {
            metrics.Upgrade(node.DestinationId, "refused");
            await RetryLater.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Too many connections at once",
                "the cluster is taking back many apps at once; retry after the delay given", admission.RetryAfterWithJitter());
            return;
        }

        var upstream = await ConnectAsync(node, context, options);
        if (upstream is null)
        {
            metrics.Upgrade(node.DestinationId, "node-unreachable");
            Log.NodeDidNotAnswer(logger, node.DestinationId);
            await RetryLater.WriteAsync(context, StatusCodes.Status502BadGateway, "XMPP node did not answer",
                $"the node for this connection did not take it within {options.UpgradeTimeout.TotalSeconds:0.#} s; retry", 1);
            return;
        }

        using (upstream)
        {
            WebSocket client;
            try
            {
                client = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
                {
                    SubProtocol = WebSocketGate.XmppSubprotocol,
                    KeepAliveInterval = options.ClientPingInterval,
                    KeepAliveTimeout = options.ClientPongTimeout,
                });
            }
            catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
            {
                upstream.Abort();
                metrics.Upgrade(node.DestinationId, "client-gone");
                return;
            }
            metrics.Upgrade(node.DestinationId, "relayed");
            activity?.Dispose(); // the upgrade is done; the connection itself may last for days
            using (client)
            {
                var ending = await new RelayedConnection(client, upstream, node.DestinationId, options.MaxMessageBytes, metrics).RunAsync();
                Log.ConnectionEnded(logger, node.DestinationId, ending);
            }
        }
    }

    /// <summary>Opens the Edge's own WebSocket to the node, or returns null if it does not take it in time.</summary>
    private static async Task<ClientWebSocket?> ConnectAsync(DestinationState node, HttpContext context, EdgeOptions options)
    {
        var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol(WebSocketGate.XmppSubprotocol);
        // The node's side is watched too: a node that vanished silently ends the app's connection, which reconnects.
        upstream.Options.KeepAliveInterval = options.NodePingInterval;
        upstream.Options.KeepAliveTimeout = options.NodePongTimeout;
        if (context.Connection.RemoteIpAddress is { } ip)
        {
            upstream.Options.SetRequestHeader("X-Forwarded-For", ip.ToString());
        }
        var address = new UriBuilder(node.Model.Config.Address) { Path = context.Request.Path };
        address.Scheme = address.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.UpgradeTimeout);
        try
        {
            await upstream.ConnectAsync(address.Uri, timeout.Token);
            if (upstream.SubProtocol == WebSocketGate.XmppSubprotocol)
            {
                return upstream;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpRequestException)
        {
        }
        upstream.Dispose();
        return null;
    }
}
