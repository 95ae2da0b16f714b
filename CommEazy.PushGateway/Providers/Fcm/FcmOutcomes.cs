namespace CommEazy.PushGateway.Providers.Fcm;

/// <summary>
/// FCM HTTP v1 answers (HTTP status, reason) → outcome. The reason is the <c>FcmError.errorCode</c> detail, else
/// the error's <c>status</c>; an <c>INVALID_ARGUMENT</c> whose <c>BadRequest</c> detail blames <c>message.token</c>
/// becomes <see cref="InvalidToken"/>. Rows are tried in order; anything unlisted is a logged
/// <see cref="PushOutcome.PermanentFailure"/> (an <c>INVALID_ARGUMENT</c> about anything but the token is our bug,
/// not the device's).
/// </summary>
internal static class FcmOutcomes
{
    public const string InvalidToken = "INVALID_ARGUMENT:message.token";

    public static readonly OutcomeTable Table = new(
    [
        OutcomeRule.ForStatus(200, PushOutcome.Delivered),
        OutcomeRule.ForReason(404, "UNREGISTERED", PushOutcome.TokenRejected),
        OutcomeRule.ForReason(400, InvalidToken, PushOutcome.TokenRejected),
        // The token belongs to another Firebase project: no push of ours will ever reach it.
        OutcomeRule.ForReason(403, "SENDER_ID_MISMATCH", PushOutcome.TokenRejected),
        // Our credentials (service account, or the APNs key uploaded to Firebase), not the device's fault:
        // never count them against the registration.
        OutcomeRule.ForReason(401, "UNAUTHENTICATED", PushOutcome.TemporaryFailure),
        OutcomeRule.ForReason(401, "THIRD_PARTY_AUTH_ERROR", PushOutcome.TemporaryFailure),
        // QUOTA_EXCEEDED (RESOURCE_EXHAUSTED).
        OutcomeRule.ForStatus(429, PushOutcome.TemporaryFailure),
        // UNAVAILABLE, INTERNAL, and any other 5xx.
        OutcomeRule.ForStatusRange(500, 599, PushOutcome.TemporaryFailure),
    ]);
}
