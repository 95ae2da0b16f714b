namespace CommEazy.Edge.PublicFace;

/// <summary>
/// What the Edge's public listener serves: <c>/xmpp-websocket</c> (WebSocket upgrades only), and <c>/health</c>,
/// <c>/.well-known/host-meta</c> and <c>/.well-known/host-meta.json</c> (GET and HEAD only). Everything else is refused
/// with the Edge's own problem details: 403 for any other path, 405 for another method on a read-only path.
/// </summary>
internal static class PublicPaths
{
    public const string Health = "/health";
    public const string HostMeta = "/.well-known/host-meta";
    public const string HostMetaJson = "/.well-known/host-meta.json";

    /// <summary>The only methods <see cref="Health"/> and host-meta answer.</summary>
    public static readonly string[] ReadMethods = [HttpMethods.Get, HttpMethods.Head];

    private static readonly string[] ReadOnlyPaths = [Health, HostMeta, HostMetaJson];

    /// <summary>403 for a path the Edge does not serve.</summary>
    public static IResult Forbidden() => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
        detail: "only /xmpp-websocket, /health, /.well-known/host-meta and /.well-known/host-meta.json are served here");

    /// <summary>
    /// Maps the fallback of the public listener: every path no endpoint serves, file-like ones included, is refused.
    /// A read-only path with another method lands here too (routing prefers a fallback that allows the method over a
    /// 405), so it is told which methods it may use.
    /// </summary>
    public static IEndpointRouteBuilder MapPublicFallback(this IEndpointRouteBuilder app)
    {
        app.MapFallback("{*path}", (HttpContext context, ILogger<Program> logger, EdgeMetrics metrics) =>
        {
            var path = context.Request.Path;
            if (ReadOnlyPaths.Any(p => path.Equals(p, StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.Headers.Allow = string.Join(", ", ReadMethods);
                return TypedResults.Problem(statusCode: StatusCodes.Status405MethodNotAllowed, title: "Method Not Allowed",
                    detail: $"{path} answers GET and HEAD only");
            }
            Log.PathRefused(logger, context.Request.Method, path);
            metrics.Refused("not-public-path");
            return Forbidden();
        });
        return app;
    }
}
