using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Answers a request the framework could not read (a body that is not the expected JSON, a wrong content type, a
/// query or route value that does not parse, a body too large) with the status code the framework chose (400, 413,
/// 415) and problem details saying why. Any other exception is left to the default handling (500).
/// Minimal APIs throw <see cref="BadHttpRequestException"/> for these in every environment
/// (<c>RouteHandlerOptions.ThrowOnBadRequest</c>, set by <c>AddServiceDefaults</c>), so the reason is never lost.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    /// <summary>The start of the problem detail for a request body that is not the JSON an endpoint expects.</summary>
    public const string JsonBodyDetail = "The request body is not the JSON this endpoint expects";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }
        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = badRequest.StatusCode,
                Title = ReasonPhrases.GetReasonPhrase(badRequest.StatusCode),
                Detail = Reason(badRequest),
            },
        });
    }

    /// <summary>
    /// The framework's own message, except for JSON: its message names the handler's parameter and .NET type, so
    /// the detail says instead where in the body reading failed and, for a syntax error, what System.Text.Json found.
    /// </summary>
    internal static string Reason(BadHttpRequestException exception)
    {
        if (exception.InnerException is not JsonException json)
        {
            return exception.Message;
        }
        var where = $"at {json.Path ?? "$"}, line {(json.LineNumber ?? 0) + 1}, byte {(json.BytePositionInLine ?? 0) + 1}";
        // System.Text.Json's message is "<what>. Path: … | LineNumber: … | BytePositionInLine: …"; a type mismatch
        // ("The JSON value could not be converted to <.NET type>") is told without the type.
        var message = json.Message;
        var pathStart = message.IndexOf(" Path: ", StringComparison.Ordinal);
        var what = pathStart > 0 ? message[..pathStart] : message;
        if (what.StartsWith("The JSON value could not be converted to", StringComparison.Ordinal))
        {
            what = "a value has the wrong JSON type.";
        }
        return $"{JsonBodyDetail} ({where}): {what}";
    }
}
