using System.Globalization;
using CommEazy.AuthBridge.Firebase;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommEazy.AuthBridge.Apis;

/// <summary>The problem details the APIs answer with; titles are stable, details never hold tokens or JIDs.</summary>
internal static class ApiProblems
{
    public const string TokenRejectedTitle = "Firebase ID token rejected";
    public const string UnavailableTitle = "Service temporarily unavailable";
    public const string TooManyRequestsTitle = "Too many requests";

    /// <summary>401 with the rejection reason; 503 when the reason is ours (no signing keys).</summary>
    public static ProblemHttpResult Refused(HttpContext context, TokenRejection rejection)
    {
        if (rejection == TokenRejection.SigningKeysUnavailable)
        {
            return Unavailable(context, rejection.Detail());
        }
        context.Response.Headers.WWWAuthenticate = rejection == TokenRejection.MissingToken ? "Bearer" : "Bearer error=\"invalid_token\"";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: TokenRejectedTitle, detail: rejection.Detail());
    }

    /// <summary>503 with a jittered Retry-After (5–15 s), so clients do not come back in one wave.</summary>
    public static ProblemHttpResult Unavailable(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = Random.Shared.Next(5, 16).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: UnavailableTitle, detail: detail);
    }

    /// <summary>429 with Retry-After: when this client address has a request again.</summary>
    public static ProblemHttpResult TooManyRequests(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: TooManyRequestsTitle, detail: detail);
    }
}
