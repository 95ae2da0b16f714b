using System.Text.RegularExpressions;
using CommEazy.AuthBridge.DevTokens;
using CommEazy.AuthBridge.Firebase;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommEazy.AuthBridge.Apis;

/// <summary><c>/dev/token</c> and <c>/dev/keys</c>: the development token issuer, absent unless it is registered.</summary>
internal static partial class DevTokenApi
{
    /// <summary>Maps the development token endpoints when the issuer is on (Development + <c>DevTokens:Enabled</c>), else nothing.</summary>
    public static IEndpointRouteBuilder MapDevTokenApi(this IEndpointRouteBuilder app)
    {
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DevTokenApi).FullName!);
        var issuer = app.ServiceProvider.GetService<DevTokenIssuer>();
        if (issuer is null)
        {
            var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
            if (configuration.GetValue<bool>($"{DevTokenOptions.SectionName}:{nameof(DevTokenOptions.Enabled)}"))
            {
                Log.DevTokensIgnored(logger, app.ServiceProvider.GetRequiredService<IHostEnvironment>().EnvironmentName);
            }
            return app;
        }

        Log.DevTokenIssuerEnabled(logger, issuer.KeyId);
        var group = app.MapGroup("/dev").WithTags("Development");
        group.MapPost("/token", IssueToken)
            .WithName("IssueDevToken")
            .WithSummary("Issues a Firebase-format ID token signed with the development key (Development only).");
        group.MapGet("/keys", GetKeys)
            .WithName("GetDevKeys")
            .WithSummary("The development key as a JWKS, like Google's (Development only).");
        return app;
    }

    internal static Results<Ok<DevTokenResponse>, ValidationProblem> IssueToken(
        DevTokenRequest? request, DevTokenIssuer issuer, ILogger<DevTokenIssuer> logger)
    {
        var errors = new Dictionary<string, string[]>();
        if (request?.Uid is not { Length: >= 1 and <= FirebaseTokenValidator.MaxSubjectLength })
        {
            errors["uid"] = [$"uid must be 1 to {FirebaseTokenValidator.MaxSubjectLength} characters."];
        }
        if (request?.PhoneNumber is null || !E164().IsMatch(request.PhoneNumber))
        {
            errors["phoneNumber"] = ["phoneNumber must be E.164: '+' and 8 to 15 digits."];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var token = issuer.Issue(request!.Uid!, request.PhoneNumber!);
        Log.DevTokenIssued(logger, FirebaseAuthenticator.HashToken(token));
        return TypedResults.Ok(new DevTokenResponse(token));
    }

    internal static Ok<DevJsonWebKeySet> GetKeys(HttpContext context, DevTokenIssuer issuer)
    {
        context.Response.Headers.CacheControl = "public, max-age=3600";
        return TypedResults.Ok(issuer.GetKeySet());
    }

    [GeneratedRegex(@"^\+[0-9]{8,15}\z")]
    private static partial Regex E164();
}

internal sealed record DevTokenRequest(string? Uid, string? PhoneNumber);

internal sealed record DevTokenResponse(string IdToken);
