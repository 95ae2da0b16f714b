using CommEazy.AuthBridge.Accounts;

namespace CommEazy.AuthBridge.Push;

/// <summary>Account erasure deletes the user's push registrations (device tokens are personal data).</summary>
internal sealed class PushRegistrationErasure(PushRegistrationStore store) : IAccountErasureStep
{
    public Task EraseAsync(string bareJid, CancellationToken cancellationToken) => store.EraseAsync(bareJid, cancellationToken);
}
