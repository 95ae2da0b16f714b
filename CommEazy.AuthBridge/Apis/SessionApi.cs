using CommEazy.AuthBridge.Accounts;
using CommEazy.AuthBridge.Firebase;
using CommEazy.Cluster;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;

namespace CommEazy.AuthBridge.Apis;

/// <summary><c>POST /v1/session</c>: Firebase ID token in, XMPP credentials out.</summary>
internal static class SessionApi
{
    /// <summary>Maps the session endpoint, which provisions the account and returns its JID, password and WebSocket URL.</summary>
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/session", CreateSessionAsync)
            .WithName("CreateSession")
            .WithSummary("Turns a Firebase ID token into XMPP credentials, creating or updating the account.")
            .WithTags("Sessions");
        return app;
    }

    internal static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> CreateSessionAsync(
        HttpContext context, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        var auth = await services.Authenticator.AuthenticateAsync(context.Request, cancellationToken);
        if (!auth.Succeeded)
        {
            Log.TokenRejected(services.Logger, auth.TokenHash, auth.Rejection.Value.Detail());
            services.Metrics.SessionRefused(auth.Rejection.Value);
            return ApiProblems.Refused(context, auth.Rejection.Value);
        }

        var password = services.Passwords.Derive(auth.Uid);
        ScramCredentials credentials;
        try
        {
            (var outcome, credentials) = await services.Accounts.ProvisionAsync(auth.Localpart, password, cancellationToken);
            if (outcome != ProvisionOutcome.Unchanged)
            {
                Log.AccountProvisioned(services.Logger, outcome.ToString(), auth.TokenHash);
            }
        }
        catch (AccountStoreUnavailableException e)
        {
            Log.DatabaseUnavailable(services.Logger, e.InnerException ?? e);
            services.Metrics.SessionUnavailable();
            return ApiProblems.Unavailable(context, "account database unavailable");
        }

        Log.SessionIssued(services.Logger, auth.TokenHash);
        services.Metrics.SessionIssued();
        context.Response.Headers.CacheControl = "no-store"; // the body holds a password
        var options = services.Options.Value;
        var jid = $"{auth.Localpart}@{options.XmppDomain}";
        return TypedResults.Ok(new SessionResponse(jid, password, WebSocketUrlFor(options.WebSocketUrl, services.Cluster.Value.RoutingKey, jid),
            ScramKeys.For(password, credentials)));
    }

    /// <summary>
    /// The app's WebSocket URL with the user key (<c>?u=</c>): the Edge sends the connection straight to the user's
    /// home node by it. The key is an opaque keyed hash, so the URL shows no phone number, uid or JID.
    /// </summary>
    internal static string WebSocketUrlFor(string webSocketUrl, string routingKey, string bareJid) =>
        QueryHelpers.AddQueryString(webSocketUrl, "u", UserKey.Derive(routingKey, bareJid));
}

/// <summary>XMPP credentials: every device of a user gets the same password until the epoch is bumped.</summary>
internal sealed record SessionResponse(string Jid, string Password, string WebsocketUrl, ScramKeys Scram);

/// <summary>
/// The SCRAM-SHA-1 keys of the password, for clients that can use them instead of deriving them (xmpp.js: its
/// <c>credentials</c> take <c>salt</c>, <c>clientKey</c> and <c>serverKey</c>). xmpp.js 0.14 derives them with 10 000
/// asynchronous WebCrypto HMACs, ~0.6 s of CPU per login (measured on this machine; 1.8 ms natively), which a phone
/// pays at every reconnect. The keys are worth no more than the password beside them. Salt as base64 of its bytes.
/// </summary>
internal sealed record ScramKeys(string Salt, int Iterations, string ClientKey, string ServerKey)
{
    public static ScramKeys For(string password, ScramCredentials credentials)
    {
        var (clientKey, serverKey) = ScramCredentials.Keys(password, credentials.Salt, credentials.IterationCount);
        return new ScramKeys(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials.Salt)), credentials.IterationCount,
            Convert.ToBase64String(clientKey), Convert.ToBase64String(serverKey));
    }
}
