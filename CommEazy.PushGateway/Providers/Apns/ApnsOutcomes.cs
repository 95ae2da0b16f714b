namespace CommEazy.PushGateway.Providers.Apns;

/// <summary>
/// APNs answers (HTTP status, JSON <c>reason</c>) → outcome. Rows are tried in order; anything unlisted is a logged
/// <see cref="PushOutcome.PermanentFailure"/>.
/// </summary>
internal static class ApnsOutcomes
{
    public const string ExpiredProviderToken = "ExpiredProviderToken";

    public static readonly OutcomeTable Table = new(
    [
        OutcomeRule.ForStatus(200, PushOutcome.Delivered),
        OutcomeRule.ForReason(400, "BadDeviceToken", PushOutcome.TokenRejected),
        OutcomeRule.ForReason(400, "DeviceTokenNotForTopic", PushOutcome.TokenRejected),
        // Unregistered (and ExpiredToken): the body's timestamp says since when; a newer registration stays.
        OutcomeRule.ForStatus(410, PushOutcome.TokenRejected),
        // Our credential, not the device's fault: never count it against the registration. ExpiredProviderToken
        // reaches this row only after the one forced refresh and retry.
        OutcomeRule.ForReason(403, ExpiredProviderToken, PushOutcome.TemporaryFailure),
        OutcomeRule.ForReason(403, "InvalidProviderToken", PushOutcome.TemporaryFailure),
        // TooManyRequests (per token), TooManyProviderTokenUpdates.
        OutcomeRule.ForStatus(429, PushOutcome.TemporaryFailure),
        // InternalServerError, ServiceUnavailable, Shutdown.
        OutcomeRule.ForStatusRange(500, 599, PushOutcome.TemporaryFailure),
    ]);
}
