using CommEazy.PushGateway.Providers;

namespace CommEazy.PushGateway.Registrations;

/// <summary>One device's registration, as stored by the AuthBridge (<see cref="CommEazy.Push.PushRegistrationTable"/>).</summary>
/// <param name="Node">The XEP-0357 node.</param>
/// <param name="SecretSha256">SHA-256 of the XEP-0357 secret.</param>
/// <param name="Platform">Which provider and token kind.</param>
/// <param name="DeviceToken">The push token (never logged; see <see cref="TokenHash"/>).</param>
/// <param name="AppId">Bundle id (APNs topic) or Android package name.</param>
/// <param name="Environment">APNs sandbox or production.</param>
/// <param name="CreatedAt">When it was (last) registered: an APNs 410 older than this leaves it in place.</param>
/// <param name="LastSuccessAt">When a push last got through, if ever.</param>
/// <param name="OwnerHasVoipToken">
/// The owner also registered an <c>apns-voip</c> token for the same app and environment: calls ring through that one,
/// so an alert token gets no second "incoming call" notice.
/// </param>
internal sealed record PushRegistration(
    string Node,
    byte[] SecretSha256,
    PushPlatform Platform,
    string DeviceToken,
    string AppId,
    PushEnvironment Environment,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastSuccessAt,
    bool OwnerHasVoipToken)
{
    public PushRequest ToRequest(PushKind kind) => new(Platform, DeviceToken, AppId, Environment, kind);

    /// <summary>Never prints the token or secret hash.</summary>
    public override string ToString() => $"PushRegistration {{ Platform = {Platform.ToLabel()}, TokenHash = {TokenHash.Of(DeviceToken)} }}";
}

/// <summary>Reads and maintains registrations for the publish handler.</summary>
internal interface IPushRegistrationStore
{
    /// <summary>The registration with this node, or <see langword="null"/>. Throws <see cref="RegistrationStoreUnavailableException"/>.</summary>
    Task<PushRegistration?> FindAsync(string node, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a registration whose token the provider rejected — unless it was registered after
    /// <paramref name="invalidSince"/> (APNs' 410 timestamp), i.e. the device registered that token again since.
    /// Returns whether it was removed.
    /// </summary>
    Task<bool> RemoveRejectedAsync(PushRegistration registration, DateTimeOffset? invalidSince, CancellationToken cancellationToken);

    /// <summary>Records a delivered push (only rewritten when the last record is older than an hour).</summary>
    Task MarkDeliveredAsync(PushRegistration registration, CancellationToken cancellationToken);
}

/// <summary>The registrations table could not be read or written now: answered <c>wait</c>.</summary>
internal sealed class RegistrationStoreUnavailableException(Exception innerException)
    : Exception("The push registrations database is unavailable.", innerException);
