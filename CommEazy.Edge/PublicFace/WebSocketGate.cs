using Yarp.ReverseProxy.Model;

namespace CommEazy.Edge.PublicFace;

/// <summary>
/// Lets only XMPP-over-WebSocket upgrades (RFC 7395: subprotocol <c>xmpp</c>) on exactly <c>/xmpp-websocket</c> reach
/// the proxy. YARP matches its route case-insensitively and with a trailing slash, so every request routed to the proxy
/// is checked here: another spelling of the path gets the Edge's 403, a plain GET or another subprotocol on the path a
/// clear 400, and nobody ever sees Prosody's own pages.
/// </summary>
internal static class WebSocketGate
{
    public const string XmppSubprotocol = "xmpp";

    /// <summary>Refuses every proxied request but an <c>xmpp</c> WebSocket upgrade on <paramref name="webSocketPath"/> (ordinal).</summary>
    public static IApplicationBuilder UseXmppWebSocketGate(this IApplicationBuilder app, PathString webSocketPath) =>
        app.Use(async (context, next) =>
        {
            // Routing has run: the endpoint says whether YARP would forward this request.
            if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is null)
            {
                await next(context);
                return;
            }
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSocketGate));
            if (!context.Request.Path.Equals(webSocketPath, StringComparison.Ordinal))
            {
                Log.PathRefused(logger, context.Request.Method, context.Request.Path);
                context.RequestServices.GetRequiredService<EdgeMetrics>().Refused("not-public-path");
                await PublicPaths.Forbidden().ExecuteAsync(context);
                return;
            }
            var reason = Refusal(context);
            if (reason is null)
            {
                await next(context);
                return;
            }
            Log.WebSocketRefused(logger, reason);
            context.RequestServices.GetRequiredService<EdgeMetrics>().Refused("not-xmpp-websocket");
            await Results.Problem(title: "Not an XMPP WebSocket upgrade", detail: reason, statusCode: StatusCodes.Status400BadRequest)
                .ExecuteAsync(context);
        });

    private static string? Refusal(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return "this path only accepts WebSocket upgrades (RFC 7395)";
        }
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        return offered.Contains(XmppSubprotocol, StringComparer.Ordinal)
            ? null
            : "the WebSocket subprotocol must be 'xmpp'";
    }
}
