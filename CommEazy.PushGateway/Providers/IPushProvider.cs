namespace CommEazy.PushGateway.Providers;

/// <summary>Sends content-free pushes through one provider (APNs or FCM).</summary>
public interface IPushProvider
{
    /// <summary>The provider's label in logs and metrics: <c>apns</c> or <c>fcm</c>.</summary>
    string Name { get; }

    /// <summary>Whether this provider serves <paramref name="platform"/>.</summary>
    bool Supports(PushPlatform platform);

    /// <summary>
    /// Sends one push. Retries that the provider's outcome table calls temporary happen inside (bounded by
    /// the provider's retry options); the result is final for this attempt. Throws only when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    Task<PushResult> SendAsync(PushRequest request, CancellationToken cancellationToken);
}
