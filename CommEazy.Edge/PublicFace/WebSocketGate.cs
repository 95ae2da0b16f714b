namespace CommEazy.Edge.PublicFace;

/// <summary>
/// Lets only XMPP-over-WebSocket upgrades (RFC 7395: subprotocol <c>xmpp</c>) reach the proxy, so a
/// plain GET or a browser probing the path gets a clear 400 instead of Prosody's own page.
/// </summary>
internal static class WebSocketGate
{
    public const string XmppSubprotocol = "xmpp";

    /// <summary>Answers anything on <c>/xmpp-websocket</c> that is not an <c>xmpp</c> WebSocket upgrade with 400 and the reason.</summary>
    public static IApplicationBuilder UseXmppWebSocketGate(this IApplicationBuilder app, PathString webSocketPath) =>
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.Equals(webSocketPath, StringComparison.Ordinal))
            {
                await next(context);
                return;
            }
            var reason = Refusal(context);
            if (reason is null)
            {
                await next(context);
                return;
            }
            Log.WebSocketRefused(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSocketGate)), reason);
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
