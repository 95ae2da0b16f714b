namespace CommEazy.AuthBridge.Accounts;

/// <summary>
/// Extension point of <c>DELETE /v1/account</c>: every registered step runs after the Prosody rows are gone
/// (e.g. deleting push registrations). A step must be idempotent, since the client retries after a failure.
/// </summary>
internal interface IAccountErasureStep
{
    Task EraseAsync(string bareJid, CancellationToken cancellationToken);
}
