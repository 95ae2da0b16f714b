namespace CommEazy.PushGateway.Providers;

/// <summary>Writes the one log line a push ends with, at the level its outcome deserves; the token only as its hash.</summary>
internal static class PushResultLog
{
    public static void Write(ILogger logger, string provider, PushRequest request, PushResult result, TimeSpan elapsed)
    {
        switch (result.Outcome)
        {
            case PushOutcome.Delivered:
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    Log.PushDelivered(logger, provider, request.Kind.ToLabel(), TokenHash.Of(request.DeviceToken), Math.Round(elapsed.TotalMilliseconds, 2));
                }
                break;
            case PushOutcome.TokenRejected when result.StatusCode is not null:
                Log.PushTokenRejected(logger, provider, TokenHash.Of(request.DeviceToken), result.StatusCode, result.Reason);
                break;
            case PushOutcome.TemporaryFailure:
                Log.PushTemporaryFailure(logger, provider, TokenHash.Of(request.DeviceToken), result.StatusCode, result.Reason, result.RetryAfter);
                break;
            case PushOutcome.PermanentFailure when result.StatusCode is not null:
                Log.PushPermanentFailure(logger, provider, TokenHash.Of(request.DeviceToken), result.StatusCode, result.Reason);
                break;
            default:
                // Refused before sending (malformed token, unsupported kind): already logged where it was decided.
                break;
        }
    }

    /// <summary>Keeps a provider's reason a short identifier, so nothing odd from the wire lands in logs or traces.</summary>
    public static string? SanitizeReason(string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return null;
        }
        var span = reason.AsSpan(0, Math.Min(reason.Length, 64));
        foreach (var c in span)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.' or ':'))
            {
                return "unrecognised_reason";
            }
        }
        return span.ToString();
    }
}
