using System.Text.Json;
using CommEazy.AuthBridge.Accounts;
using CommEazy.AuthBridge.Firebase;
using CommEazy.AuthBridge.Push;
using CommEazy.Push;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CommEazy.AuthBridge.Apis;

/// <summary>
/// <c>/v1/push/registrations</c>: the app registers its device's push token, authenticated as the user with its
/// Firebase ID token, and gets the XEP-0357 node, secret and app server JID to enable push with.
/// </summary>
internal static class PushRegistrationApi
{
    public const string Path = "/v1/push/registrations";

    /// <summary>Maps register (<c>POST</c>) and unregister (<c>DELETE …/{node}</c>); the owner is always the caller.</summary>
    public static IEndpointRouteBuilder MapPushRegistrationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Push");
        group.MapPost("/", RegisterAsync)
            .WithName("RegisterPushDevice")
            .WithSummary("Registers the device's push token; answers the XEP-0357 node, secret and component JID.");
        group.MapDelete("/{node}", UnregisterAsync)
            .WithName("UnregisterPushDevice")
            .WithSummary("Deletes one of the caller's push registrations.");
        return app;
    }

    internal static async Task<Results<Created<PushRegistrationResponse>, Ok<PushRegistrationResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        HttpContext context, [AsParameters] PushApiServices services, CancellationToken cancellationToken)
    {
        var auth = await services.Authenticator.AuthenticateAsync(context.Request, cancellationToken);
        if (!auth.Succeeded)
        {
            Log.TokenRejected(services.Logger, auth.TokenHash, auth.Rejection.Value.Detail());
            services.Metrics.PushRegistration(auth.Rejection.Value.MetricLabel());
            return ApiProblems.Refused(context, auth.Rejection.Value);
        }
        var (request, bodyError) = await ReadBodyAsync(context.Request, cancellationToken);
        if (bodyError is not null)
        {
            services.Metrics.PushRegistration(bodyError.Value.Label);
            return bodyError.Value.Status == StatusCodes.Status413PayloadTooLarge
                ? TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                    detail: $"a registration is at most {PushRegistrationValidator.MaxBodyBytes} bytes")
                : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [bodyError.Value.Message] });
        }
        if (PushRegistrationValidator.Validate(request, out var errors) is not { } device)
        {
            services.Metrics.PushRegistration("invalid");
            return TypedResults.ValidationProblem(errors);
        }

        RegisteredDevice registered;
        try
        {
            registered = await services.Registrations.RegisterAsync(OwnerOf(auth, services), device, cancellationToken);
        }
        catch (AccountStoreUnavailableException e)
        {
            Log.DatabaseUnavailable(services.Logger, e.InnerException ?? e);
            services.Metrics.PushRegistration("database_unavailable");
            return ApiProblems.Unavailable(context, "registration database unavailable");
        }
        Log.PushDeviceRegistered(services.Logger, device.Platform, registered.Outcome.ToString(), auth.TokenHash);
        services.Metrics.PushRegistration(registered.Outcome == RegistrationOutcome.Created ? "created" : "replaced");
        context.Response.Headers.CacheControl = "no-store"; // the body holds the secret
        var response = new PushRegistrationResponse(registered.Node, registered.Secret, services.Push.Value.ComponentJid);
        return registered.Outcome == RegistrationOutcome.Created
            ? TypedResults.Created($"{Path}/{registered.Node}", response)
            : TypedResults.Ok(response);
    }

    internal static async Task<Results<NoContent, NotFound<ProblemDetails>, ValidationProblem, ProblemHttpResult>> UnregisterAsync(
        string node, HttpContext context, [AsParameters] PushApiServices services, CancellationToken cancellationToken)
    {
        var auth = await services.Authenticator.AuthenticateAsync(context.Request, cancellationToken);
        if (!auth.Succeeded)
        {
            Log.TokenRejected(services.Logger, auth.TokenHash, auth.Rejection.Value.Detail());
            services.Metrics.PushRegistration(auth.Rejection.Value.MetricLabel());
            return ApiProblems.Refused(context, auth.Rejection.Value);
        }
        if (!PushRegistrationTable.IsNode(node))
        {
            services.Metrics.PushRegistration("invalid");
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["node"] = [$"node must be the {PushRegistrationTable.NodeLength}-character node a registration answered."],
            });
        }
        try
        {
            if (!await services.Registrations.DeleteAsync(OwnerOf(auth, services), node, cancellationToken))
            {
                services.Metrics.PushRegistration("not_found");
                // The same answer whether the node does not exist or is someone else's.
                return TypedResults.NotFound(new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "No such push registration", Detail = "the caller has no registration with this node" });
            }
        }
        catch (AccountStoreUnavailableException e)
        {
            Log.DatabaseUnavailable(services.Logger, e.InnerException ?? e);
            services.Metrics.PushRegistration("database_unavailable");
            return ApiProblems.Unavailable(context, "registration database unavailable");
        }
        Log.PushDeviceUnregistered(services.Logger, auth.TokenHash);
        services.Metrics.PushRegistration("deleted");
        return TypedResults.NoContent();
    }

    private static string OwnerOf(BearerAuthentication auth, PushApiServices services) => $"{auth.Localpart}@{services.Options.Value.XmppDomain}";

    private readonly record struct BodyError(int Status, string Label, string Message);

    /// <summary>Reads at most <see cref="PushRegistrationValidator.MaxBodyBytes"/> of JSON; the messages never quote the body.</summary>
    private static async Task<(PushRegistrationRequest? Request, BodyError? Error)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > PushRegistrationValidator.MaxBodyBytes)
        {
            return (null, new BodyError(StatusCodes.Status413PayloadTooLarge, "too_large", ""));
        }
        if (!request.HasJsonContentType())
        {
            return (null, new BodyError(StatusCodes.Status400BadRequest, "invalid", "the body must be JSON (Content-Type: application/json)."));
        }
        var buffer = new byte[PushRegistrationValidator.MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        if (length > PushRegistrationValidator.MaxBodyBytes)
        {
            return (null, new BodyError(StatusCodes.Status413PayloadTooLarge, "too_large", ""));
        }
        try
        {
            return (JsonSerializer.Deserialize<PushRegistrationRequest>(buffer.AsSpan(0, length), JsonSerializerOptions.Web), null);
        }
        catch (JsonException e)
        {
            // The path names the offending member (e.g. "$.owner"); the message would quote type names.
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            var what = e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "has an unknown member" : "is not a valid registration";
            return (null, new BodyError(StatusCodes.Status400BadRequest, "invalid", $"the JSON body {what}{where}; expected platform, token, appId and environment."));
        }
    }
}

/// <summary>What the push registration handlers need, bound with <c>[AsParameters]</c>.</summary>
internal sealed record PushApiServices(
    FirebaseAuthenticator Authenticator,
    PushRegistrationStore Registrations,
    AuthBridgeMetrics Metrics,
    IOptions<AuthBridgeOptions> Options,
    IOptions<PushOptions> Push,
    ILogger<PushApiServices> Logger);
