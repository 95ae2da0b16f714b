namespace CommEazy.PushGateway;

/// <summary>
/// What became of one push, in sygnal's shape. Each provider maps its (status, reason) answers onto these
/// through one static outcome table; anything a table does not list is a <see cref="PermanentFailure"/> and is logged.
/// </summary>
/// <remarks>
/// Towards Prosody (XEP-0357): <see cref="TemporaryFailure"/> becomes <c>&lt;error type='wait'/&gt;</c>, which
/// mod_cloud_notify does not count toward <c>push_max_errors</c>; <see cref="TokenRejected"/> becomes
/// <c>type='cancel'</c> and the registration is removed.
/// </remarks>
public enum PushOutcome
{
    /// <summary>The provider accepted the push for delivery.</summary>
    Delivered,

    /// <summary>The device token is no longer valid (unregistered, malformed, or for another app): remove the registration.</summary>
    TokenRejected,

    /// <summary>Worth trying again later (rate limits, provider outages, timeouts, our own credentials being refreshed).</summary>
    TemporaryFailure,

    /// <summary>An answer the outcome table does not list; retrying the same push will not help.</summary>
    PermanentFailure,
}
