using System.Security;
using Microsoft.Extensions.Options;

namespace CommEazy.Edge.PublicFace;

/// <summary>XEP-0156: tells apps where the WebSocket endpoint is, as XRD (host-meta) and JSON (host-meta.json).</summary>
internal static class HostMetaApi
{
    private const string WebSocketRel = "urn:xmpp:alt-connections:websocket";

    /// <summary>Maps <c>/.well-known/host-meta</c> and <c>/.well-known/host-meta.json</c> (GET and HEAD) on the public listener.</summary>
    public static IEndpointRouteBuilder MapHostMetaApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods(PublicPaths.HostMeta, PublicPaths.ReadMethods, (IOptions<EdgeOptions> options) =>
        {
            var href = SecurityElement.Escape(options.Value.PublicWebSocketUrl);
            var xrd = $"""
                <?xml version='1.0' encoding='utf-8'?>
                <XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
                  <Link rel='{WebSocketRel}' href='{href}'/>
                </XRD>
                """;
            return TypedResults.Text(xrd, "application/xrd+xml; charset=utf-8");
        });

        app.MapMethods(PublicPaths.HostMetaJson, PublicPaths.ReadMethods, (IOptions<EdgeOptions> options) =>
            TypedResults.Json(new { links = new[] { new { rel = WebSocketRel, href = options.Value.PublicWebSocketUrl } } },
                contentType: "application/json; charset=utf-8"));
        return app;
    }
}
