using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CommEazy.PushGateway;
using CommEazy.PushGateway.Providers;
using CommEazy.Tests.Fakes.Apns;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// The APNs provider through its real HTTP/2 client, resilience pipeline and provider tokens against the fake APNs
/// (TLS, JWT and header checks). One test per outcome, then provider-token handling, content and privacy.
/// </summary>
public sealed class ApnsPushProviderTests
{
    [Fact]
    public async Task SendAsync_ApnsAccepts_ReturnsDeliveredWithAlertHeaders()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        var push = Assert.Single(bed.Apns.Delivered);
        Assert.Equal(token, push.DeviceToken);
        Assert.Equal("HTTP/2", push.Protocol);
        Assert.Equal("alert", push.PushType);
        Assert.Equal(ApnsTestBed.BundleId, push.Topic);
        Assert.Equal("10", push.Priority);
        Assert.Equal("message-waiting", push.CollapseId);
        Assert.InRange(push.Expiration - bed.Time.GetUtcNow().ToUnixTimeSeconds(), 24 * 3600 - 60, 24 * 3600 + 1);
        Assert.Equal("""{"aps":{"alert":{"loc-key":"NEW_MESSAGE"},"sound":"default"},"kind":"message"}""", Encoding.UTF8.GetString(push.Body));
        Assert.Empty(bed.Apns.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_IncomingCallToVoipToken_SendsVoipPushToVoipTopic()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token, PushKind.IncomingCall, PushPlatform.ApnsVoip));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        var push = Assert.Single(bed.Apns.Delivered);
        Assert.Equal("voip", push.PushType);
        Assert.Equal(ApnsTestBed.BundleId + ".voip", push.Topic);
        Assert.Equal("10", push.Priority);
        Assert.Equal("incoming-call", push.CollapseId);
        Assert.InRange(push.Expiration - bed.Time.GetUtcNow().ToUnixTimeSeconds(), 1, 31);
        Assert.Equal("""{"kind":"call"}""", Encoding.UTF8.GetString(push.Body));
        Assert.Empty(bed.Apns.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_IncomingCallToAlertToken_SendsTimeSensitiveAlert()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken(), PushKind.IncomingCall));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        var push = Assert.Single(bed.Apns.Delivered);
        Assert.Equal("alert", push.PushType);
        Assert.Equal(ApnsTestBed.BundleId, push.Topic);
        Assert.Equal("incoming-call", push.CollapseId);
        Assert.Contains("\"INCOMING_CALL\"", Encoding.UTF8.GetString(push.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_SandboxToken_GoesToSandboxEndpoint()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken(), environment: PushEnvironment.Sandbox));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Single(bed.Sandbox.Delivered);
        Assert.Empty(bed.Apns.Requests);
    }

    [Fact]
    public async Task SendAsync_Unregistered410_ReturnsTokenRejectedWithTimestamp()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var since = DateTimeOffset.FromUnixTimeMilliseconds(bed.Time.GetUtcNow().AddDays(-3).ToUnixTimeMilliseconds());
        bed.Apns.Always(token, ApnsFakeReply.Unregistered(since));

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal(410, result.StatusCode);
        Assert.Equal("Unregistered", result.Reason);
        Assert.Equal(since, result.TokenInvalidSince);
        Assert.Equal(1, bed.Apns.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_BadDeviceToken400_ReturnsTokenRejected()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Always(token, ApnsFakeReply.BadDeviceToken);

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal("BadDeviceToken", result.Reason);
        Assert.Null(result.TokenInvalidSince);
        Assert.Equal(1, bed.Apns.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_TooManyRequests429WithRetryAfter_WaitsThenDelivers()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Enqueue(token, ApnsFakeReply.TooManyRequests(TimeSpan.FromSeconds(1)));
        var stopwatch = Stopwatch.StartNew();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(2, bed.Apns.AttemptsFor(token));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {stopwatch.Elapsed}, before Retry-After: 1");
    }

    [Fact]
    public async Task SendAsync_RetryAfterBeyondBudget_ReturnsTemporaryFailureWithoutRetry()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Always(token, ApnsFakeReply.TooManyRequests(TimeSpan.FromSeconds(60)));

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal(429, result.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), result.RetryAfter);
        Assert.Equal(1, bed.Apns.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_ServerError500Persisting_ReturnsTemporaryFailureAfterMaxAttempts()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Always(token, ApnsFakeReply.InternalServerError);

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal(500, result.StatusCode);
        Assert.Equal("InternalServerError", result.Reason);
        // Exactly Retry:MaxAttempts: ServiceDefaults' standard resilience handler must not add retries of its own.
        Assert.Equal(3, bed.Apns.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_ServiceUnavailable503Once_RetriesAndDelivers()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Enqueue(token, ApnsFakeReply.ServiceUnavailable());

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(2, bed.Apns.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_ApnsTooSlow_ReturnsTemporaryFailureAfterTimeout()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync(new Dictionary<string, string?>
        {
            ["Push:Apns:Retry:AttemptTimeout"] = "00:00:00.250",
            ["Push:Apns:Retry:TotalTimeout"] = "00:00:01",
        });
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Always(token, ApnsFakeReply.Slow(TimeSpan.FromSeconds(10)));
        var stopwatch = Stopwatch.StartNew();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal("timeout", result.Reason);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"took {stopwatch.Elapsed}, beyond the 1 s total timeout");
        Assert.InRange(bed.Apns.AttemptsFor(token), 1, 3);
    }

    [Fact]
    public async Task SendAsync_ExpiredProviderToken_MintsOneNewJwtAndDelivers()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Enqueue(token, ApnsFakeReply.ExpiredProviderToken);
        using var minted = bed.Host.Collect<long>(PushGatewayMetrics.ApnsJwtMintedInstrument);

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(["initial", "expired"], minted.GetMeasurementSnapshot().Select(m => (string)m.Tags[PushGatewayMetrics.MintReasonAttribute]!));
        var requests = bed.Apns.Requests;
        Assert.Equal(2, requests.Count);
        Assert.NotEqual(requests[0].ProviderToken, requests[1].ProviderToken);
    }

    [Fact]
    public async Task SendAsync_ExpiredProviderTokenAgainAfterRefresh_RefreshesOnceThenTemporaryFailure()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        bed.Apns.Always(token, ApnsFakeReply.ExpiredProviderToken);
        using var minted = bed.Host.Collect<long>(PushGatewayMetrics.ApnsJwtMintedInstrument);

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal("ExpiredProviderToken", result.Reason);
        Assert.Equal(2, bed.Apns.AttemptsFor(token));
        Assert.Equal(2, minted.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public async Task SendAsync_ManyConcurrentPushes_ShareOneJwtAndOneConnection()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        using var minted = bed.Host.Collect<long>(PushGatewayMetrics.ApnsJwtMintedInstrument);
        var requests = Enumerable.Range(0, 300).Select(_ => ApnsTestBed.Request(ApnsTestBed.NewDeviceToken())).ToArray();

        // Act
        var results = await Task.WhenAll(requests.Select(bed.SendAsync));

        // Assert
        Assert.All(results, r => Assert.Equal(PushOutcome.Delivered, r.Outcome));
        Assert.Equal(300, bed.Apns.Delivered.Count);
        Assert.Single(minted.GetMeasurementSnapshot());
        Assert.Equal(1, bed.Apns.DistinctProviderTokens);
        Assert.Equal(1, bed.Apns.ConnectionCount);
        Assert.Empty(bed.Apns.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_ProviderTokenReachesRefreshAge_MintsNewJwt()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync(new Dictionary<string, string?> { ["Push:Apns:ProviderTokenRefreshAfter"] = "00:40:00" });
        using var minted = bed.Host.Collect<long>(PushGatewayMetrics.ApnsJwtMintedInstrument);
        await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken()));
        bed.Time.Advance(TimeSpan.FromMinutes(39));
        await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken()));
        var mintedBeforeRefreshAge = minted.GetMeasurementSnapshot().Count;
        bed.Time.Advance(TimeSpan.FromMinutes(2));

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken()));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(1, mintedBeforeRefreshAge);
        Assert.Equal(["initial", "age"], minted.GetMeasurementSnapshot().Select(m => (string)m.Tags[PushGatewayMetrics.MintReasonAttribute]!));
        var requests = bed.Apns.Requests;
        Assert.Equal(requests[0].ProviderToken, requests[1].ProviderToken);
        Assert.NotEqual(requests[1].ProviderToken, requests[2].ProviderToken);
        Assert.InRange(bed.Time.GetUtcNow() - requests[2].ProviderTokenIssuedAt, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Empty(bed.Apns.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_MalformedDeviceToken_RejectedWithoutRequest()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request("../../3/device/" + ApnsTestBed.NewDeviceToken()));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal("malformed_token", result.Reason);
        Assert.Empty(bed.Apns.Requests);
    }

    [Fact]
    public async Task SendAsync_DeviceTokenWithTrailingNewline_RejectedWithoutRequest()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken() + "\n"));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal("malformed_token", result.Reason);
        Assert.Empty(bed.Apns.Requests);
    }

    [Fact]
    public async Task SendAsync_TopicWithTrailingNewline_NotSent()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var request = ApnsTestBed.Request(ApnsTestBed.NewDeviceToken()) with { Topic = ApnsTestBed.BundleId + "\n" };

        // Act
        var result = await bed.SendAsync(request);

        // Assert
        Assert.Equal(PushOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("malformed_topic", result.Reason);
        Assert.Empty(bed.Apns.Requests);
    }

    [Fact]
    public async Task SendAsync_MessageWaitingToVoipToken_NotSent()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken(), PushKind.MessageWaiting, PushPlatform.ApnsVoip));

        // Assert
        Assert.Equal(PushOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("unsupported", result.Reason);
        Assert.Empty(bed.Apns.Requests);
    }

    [Fact]
    public async Task SendAsync_EveryKind_PayloadCarriesNoContent()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        string[] allowed = ["aps", "alert", "loc-key", "NEW_MESSAGE", "INCOMING_CALL", "sound", "default", "interruption-level", "time-sensitive", "kind", "message", "call"];

        // Act
        await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken(), PushKind.MessageWaiting));
        await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken(), PushKind.IncomingCall));
        await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken(), PushKind.IncomingCall, PushPlatform.ApnsVoip));

        // Assert: only fixed vocabulary — no body, sender, JID, message id or anything else that varies per push.
        Assert.Equal(3, bed.Apns.Delivered.Count);
        foreach (var push in bed.Apns.Delivered)
        {
            using var json = JsonDocument.Parse(push.Body);
            Assert.All(PrivacyAssert.NamesAndStrings(json.RootElement), word => Assert.Contains(word, allowed));
        }
    }

    [Fact]
    public async Task SendAsync_EveryOutcome_NoLogLineOrTraceContainsDeviceToken()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        using var activities = new ActivityRecorder();
        var tokens = Enumerable.Range(0, 6).Select(_ => ApnsTestBed.NewDeviceToken()).ToArray();
        bed.Apns.Always(tokens[1], ApnsFakeReply.Unregistered(bed.Time.GetUtcNow()));
        bed.Apns.Always(tokens[2], ApnsFakeReply.BadDeviceToken);
        bed.Apns.Always(tokens[3], ApnsFakeReply.InternalServerError);
        bed.Apns.Always(tokens[4], ApnsFakeReply.TooManyRequests(TimeSpan.FromMinutes(5)));
        bed.Apns.Enqueue(tokens[5], ApnsFakeReply.ExpiredProviderToken);

        // Act
        foreach (var token in tokens)
        {
            await bed.SendAsync(ApnsTestBed.Request(token));
        }

        // Assert
        PrivacyAssert.NoLogContains(bed.Host.Logs, tokens);
        // The fake APNs runs in this process: its own server-side spans (Microsoft.AspNetCore) naturally see the path.
        PrivacyAssert.NoActivityContains(activities.Stopped.Where(a => a.Source.Name != "Microsoft.AspNetCore"), tokens);
        Assert.Contains(bed.Host.Logs.GetSnapshot(), r => r.Message.Contains(TokenHash.Of(tokens[1]), StringComparison.Ordinal));
        Assert.Contains(activities.Stopped, a => a.Source.Name == PushGatewayMetrics.Name);
        // The HttpClient's own span (url.full = …/3/device/<token>) is switched off for APNs.
        Assert.DoesNotContain(activities.Stopped, a => a.Source.Name == "System.Net.Http" && a.GetTagItem("server.port") is int port && port == bed.Apns.BaseAddress.Port);
    }

    [Fact]
    public async Task SendAsync_Outcomes_CountedByProviderPlatformAndOutcome()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        using var notifications = bed.Host.Collect<long>(PushGatewayMetrics.NotificationsInstrument);
        using var duration = bed.Host.Collect<double>(PushGatewayMetrics.ProviderDurationInstrument);
        var rejected = ApnsTestBed.NewDeviceToken();
        bed.Apns.Always(rejected, ApnsFakeReply.BadDeviceToken);

        // Act
        await bed.SendAsync(ApnsTestBed.Request(ApnsTestBed.NewDeviceToken()));
        await bed.SendAsync(ApnsTestBed.Request(rejected));

        // Assert
        var counted = notifications.GetMeasurementSnapshot();
        Assert.Equal(2, counted.Count);
        Assert.All(counted, m => Assert.Equal("apns", m.Tags[PushGatewayMetrics.ProviderAttribute]));
        Assert.All(counted, m => Assert.Equal("apns", m.Tags[PushGatewayMetrics.PlatformAttribute]));
        Assert.Equal(["delivered", "token_rejected"], counted.Select(m => (string)m.Tags[PushGatewayMetrics.OutcomeAttribute]!));
        Assert.Equal(2, duration.GetMeasurementSnapshot().Count);
        Assert.All(duration.GetMeasurementSnapshot(), m => Assert.InRange(m.Value, 0, 10));
    }
}
