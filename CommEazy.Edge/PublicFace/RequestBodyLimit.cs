using Microsoft.AspNetCore.Http.Features;

namespace CommEazy.Edge.PublicFace;

/// <summary>
/// No public path takes a body (apps send WebSocket upgrades and GETs), so nothing would ever read one, and a request
/// with a body over <see cref="PublicListener.MaxRequestBodyBytes"/> would get its path's 403 or 405 without being told
/// what was wrong. Every body is therefore read and dropped before routing, up to the limit: Kestrel refuses the excess,
/// and the service defaults' handler answers 413 with the reason. Reading costs at most the limit per request, and a
/// client that sends slowly is cut by Kestrel's minimum data rate.
/// </summary>
internal static class RequestBodyLimit
{
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }
            await next(context);
        });
}
