using System.Globalization;

namespace CommEazy.Edge.PublicFace;

/// <summary>The Edge's "not now" answers (429, 502, 503): a problem saying why, and Retry-After saying when to come back.</summary>
internal static class RetryLater
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(title: title, detail: detail, statusCode: status).ExecuteAsync(context);
    }
}
