using CommEazy.AuthBridge.Accounts;
using CommEazy.AuthBridge.Firebase;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommEazy.AuthBridge.Apis;

/// <summary><c>DELETE /v1/account</c>: GDPR erasure of the caller's account.</summary>
internal static class AccountApi
{
    /// <summary>
    /// Maps the erasure endpoint: the user's home node deletes the account (ending its sessions, unsubscribing its
    /// contacts), then every stored row left is deleted and the erasure steps run.
    /// </summary>
    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/v1/account", DeleteAccountAsync)
            .WithName("DeleteAccount")
            .WithSummary("Erases the caller's account and everything stored for it.")
            .WithTags("Accounts");
        return app;
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAccountAsync(
        HttpContext context, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        var auth = await services.Authenticator.AuthenticateAsync(context.Request, cancellationToken);
        if (!auth.Succeeded)
        {
            Log.TokenRejected(services.Logger, auth.TokenHash, auth.Rejection.Value.Detail());
            services.Metrics.ErasureRefused(auth.Rejection.Value);
            return ApiProblems.Refused(context, auth.Rejection.Value);
        }

        try
        {
            await services.ClusterDeletion.DeleteAsync(auth.Localpart, cancellationToken);
            var rows = await services.Accounts.EraseAsync(auth.Localpart, cancellationToken);
            var bareJid = $"{auth.Localpart}@{services.Options.Value.XmppDomain}";
            foreach (var step in services.ErasureSteps)
            {
                await step.EraseAsync(bareJid, cancellationToken);
            }
            Log.AccountErased(services.Logger, auth.TokenHash, rows);
        }
        catch (AccountStoreUnavailableException e)
        {
            Log.DatabaseUnavailable(services.Logger, e.InnerException ?? e);
            services.Metrics.ErasureUnavailable();
            return ApiProblems.Unavailable(context, "account database unavailable");
        }

        services.Metrics.AccountErased();
        return TypedResults.NoContent();
    }
}
