using CommEazy.AuthBridge.Accounts;
using CommEazy.AuthBridge.Firebase;
using Microsoft.Extensions.Options;

namespace CommEazy.AuthBridge.Apis;

/// <summary>What the session and account handlers need, bound with <c>[AsParameters]</c>.</summary>
internal sealed record ApiServices(
    FirebaseAuthenticator Authenticator,
    PasswordDeriver Passwords,
    ProsodyAccountStore Accounts,
    ClusterAccountDeletion ClusterDeletion,
    IEnumerable<IAccountErasureStep> ErasureSteps,
    AuthBridgeMetrics Metrics,
    IOptions<AuthBridgeOptions> Options,
    IOptions<ClusterOptions> Cluster,
    ILogger<ApiServices> Logger);
