using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CommEazy.Edge.Cluster;
using Microsoft.Extensions.Options;

namespace CommEazy.Edge.Drain;

/// <summary>
/// The operator's view of the cluster from the Edge, on its internal port only, for holders of the cluster admin
/// secret (<c>Authorization: Bearer …</c>): <c>GET /admin/nodes</c> lists each node's membership state, and
/// <c>POST /admin/nodes/{id}/drain</c> / <c>/undrain</c> asks that node (its internal <c>/cluster</c> endpoint) to leave
/// or rejoin the live membership. A drained node moves its apps to their new homes (see-other-uri) and the Edge stops
/// sending it any; that is the rolling-update procedure in the README.
/// </summary>
internal static class NodeAdminApi
{
    public const string HttpClientName = "node-admin";

    public static IEndpointRouteBuilder MapNodeAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/nodes").WithTags("Cluster admin");
        admin.MapGet("/", ListNodes).WithName("ListNodes").WithSummary("Each node's membership state, as the Edge reads the heartbeats.");
        admin.MapPost("/{id}/drain", (string id, HttpContext context, IHttpClientFactory http, IOptions<EdgeOptions> options, ILogger<EdgeOptions> logger) =>
            ForwardAsync(id, "drain", context, http, options.Value, logger))
            .WithName("DrainNode").WithSummary("The node leaves the live membership; its apps move to their new homes.");
        admin.MapPost("/{id}/undrain", (string id, HttpContext context, IHttpClientFactory http, IOptions<EdgeOptions> options, ILogger<EdgeOptions> logger) =>
            ForwardAsync(id, "undrain", context, http, options.Value, logger))
            .WithName("UndrainNode").WithSummary("The node rejoins the live membership.");
        return app;
    }

    private static IResult ListNodes(HttpContext context, IOptions<EdgeOptions> options, IClusterMembership membership)
    {
        if (Unauthorized(context, options.Value) is { } refusal)
        {
            return refusal;
        }
        var view = membership.Current;
        return TypedResults.Ok(options.Value.Nodes.Select(n => new
        {
            id = n.Id,
            state = !view.IsKnown ? "unknown" : view.Nodes.TryGetValue(n.Id, out var s) ? s.ToString().ToLowerInvariant() : "absent",
        }));
    }

    private static async Task<IResult> ForwardAsync(string id, string action, HttpContext context, IHttpClientFactory http, EdgeOptions options, ILogger logger)
    {
        if (Unauthorized(context, options) is { } refusal)
        {
            return refusal;
        }
        var node = options.Nodes.FirstOrDefault(n => n.Id == id);
        if (node is null)
        {
            return TypedResults.Problem(title: "Unknown node", detail: $"no node '{Truncate(id)}' behind this Edge", statusCode: StatusCodes.Status404NotFound);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(node.Address), $"/cluster/{action}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ClusterAdminSecret);
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, context.RequestAborted);
            var body = await response.Content.ReadAsStringAsync(context.RequestAborted);
            Log.NodeAdminAction(logger, action, id, (int)response.StatusCode);
            return response.IsSuccessStatusCode
                ? TypedResults.Content(body, "application/json", Encoding.UTF8)
                : TypedResults.Problem(title: $"Node refused to {action}", detail: $"{id} answered HTTP {(int)response.StatusCode}", statusCode: StatusCodes.Status502BadGateway);
        }
        catch (HttpRequestException e)
        {
            return TypedResults.Problem(title: "Node unreachable", detail: $"{id} could not be asked to {action}: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
        }
    }

    /// <summary>Null when the request carries the cluster admin secret; otherwise the 401 (or 503 when none is configured).</summary>
    private static IResult? Unauthorized(HttpContext context, EdgeOptions options)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(NodeAdminApi));
        if (string.IsNullOrEmpty(options.ClusterAdminSecret))
        {
            Log.AdminRefused(logger, context.Request.Method, context.Request.Path, "no cluster admin secret is configured");
            return TypedResults.Problem(title: "Admin disabled", detail: "Edge:ClusterAdminSecret is not configured", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(options.ClusterAdminSecret)))
        {
            Log.AdminRefused(logger, context.Request.Method, context.Request.Path, header.Length == 0 ? "no Authorization header" : "wrong credentials");
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"commeazy-edge-admin\"";
            return TypedResults.Problem(title: "Unauthorized", detail: "send Authorization: Bearer <the cluster admin secret>", statusCode: StatusCodes.Status401Unauthorized);
        }
        return null;
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
