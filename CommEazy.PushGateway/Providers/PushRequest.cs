namespace CommEazy.PushGateway.Providers;

/// <summary>Where a registration's pushes go: which provider, and for APNs which kind of token.</summary>
public enum PushPlatform
{
    /// <summary>An APNs device token for alert pushes (<c>apns</c>).</summary>
    Apns,

    /// <summary>An APNs PushKit VoIP token (<c>apns-voip</c>): incoming calls only.</summary>
    ApnsVoip,

    /// <summary>An FCM registration token (<c>fcm</c>).</summary>
    Fcm,
}

/// <summary>The APNs environment a token was issued for; FCM has only one.</summary>
public enum PushEnvironment
{
    Production,
    Sandbox,
}

/// <summary>Why the device is woken. The only thing about the event a push may say.</summary>
public enum PushKind
{
    /// <summary>Something is waiting for the user: open the app.</summary>
    MessageWaiting,

    /// <summary>A XEP-0353 call proposal is waiting for this (offline) callee.</summary>
    IncomingCall,
}

/// <summary>
/// Everything a push provider gets to know about one push — and nothing else. There is deliberately no field
/// for a body, sender, JID or message id, so no code path can put one into a payload, log line or trace.
/// </summary>
/// <param name="Platform">Which provider and token kind.</param>
/// <param name="DeviceToken">The device's push token (a secret of sorts: never log it, use <see cref="TokenHash"/>).</param>
/// <param name="Topic">The app id: the iOS bundle id for APNs (VoIP pushes go to <c>&lt;bundle&gt;.voip</c>); unused by FCM.</param>
/// <param name="Environment">APNs sandbox or production.</param>
/// <param name="Kind">What the push announces.</param>
public sealed record PushRequest(PushPlatform Platform, string DeviceToken, string Topic, PushEnvironment Environment, PushKind Kind)
{
    /// <summary>Prints the request with the token replaced by its hash, so a stray log of the record leaks nothing.</summary>
    public override string ToString() =>
        $"PushRequest {{ Platform = {Platform.ToLabel()}, TokenHash = {TokenHash.Of(DeviceToken)}, Topic = {Topic}, Environment = {Environment}, Kind = {Kind.ToLabel()} }}";
}

/// <summary>Stable, low-cardinality labels for logs, metrics and traces.</summary>
internal static class PushLabels
{
    public static string ToLabel(this PushPlatform platform) => platform switch
    {
        PushPlatform.Apns => "apns",
        PushPlatform.ApnsVoip => "apns-voip",
        PushPlatform.Fcm => "fcm",
        _ => "unknown",
    };

    public static string ToLabel(this PushKind kind) => kind switch
    {
        PushKind.MessageWaiting => "message",
        PushKind.IncomingCall => "call",
        _ => "unknown",
    };

    public static string ToLabel(this PushOutcome outcome) => outcome switch
    {
        PushOutcome.Delivered => "delivered",
        PushOutcome.TokenRejected => "token_rejected",
        PushOutcome.TemporaryFailure => "temporary_failure",
        PushOutcome.PermanentFailure => "permanent_failure",
        _ => "unknown",
    };
}
