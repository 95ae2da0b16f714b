using System.Diagnostics;
using System.Text.Json;
using CommEazy.PushGateway;
using CommEazy.PushGateway.Providers;
using CommEazy.Tests.Fakes.Fcm;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// The FCM provider through its real HTTP client, resilience pipeline and Google.Apis.Auth service-account
/// credential against the fake FCM (TLS, OAuth2 JWT-bearer and message checks). One test per outcome, then
/// access-token handling, content and privacy.
/// </summary>
public sealed class FcmPushProviderTests
{
    [Fact]
    public async Task SendAsync_FcmAccepts_ReturnsDeliveredWithDataOnlyHighPriorityMessage()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        var sent = Assert.Single(bed.Fcm.Delivered);
        Assert.Equal(token, sent.DeviceToken);
        Assert.Equal("HTTP/2", sent.Protocol);
        using var json = JsonDocument.Parse(sent.Body);
        var message = json.RootElement.GetProperty("message");
        Assert.Equal(["token", "data", "android"], message.EnumerateObject().Select(p => p.Name));
        Assert.Equal("""{"kind":"message"}""", message.GetProperty("data").GetRawText());
        var android = message.GetProperty("android");
        Assert.Equal("HIGH", android.GetProperty("priority").GetString());
        Assert.Equal("86400s", android.GetProperty("ttl").GetString());
        Assert.Equal("message-waiting", android.GetProperty("collapse_key").GetString());
        Assert.Empty(bed.Fcm.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_IncomingCall_SendsCallKindWithShortTtl()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(FcmTestBed.NewDeviceToken(), PushKind.IncomingCall));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        using var json = JsonDocument.Parse(Assert.Single(bed.Fcm.Delivered).Body);
        var message = json.RootElement.GetProperty("message");
        Assert.Equal("call", message.GetProperty("data").GetProperty("kind").GetString());
        Assert.Equal("30s", message.GetProperty("android").GetProperty("ttl").GetString());
        Assert.Equal("incoming-call", message.GetProperty("android").GetProperty("collapse_key").GetString());
        Assert.Empty(bed.Fcm.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_Unregistered404_ReturnsTokenRejected()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Always(token, FcmFakeReply.Unregistered);

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal(404, result.StatusCode);
        Assert.Equal("UNREGISTERED", result.Reason);
        Assert.Equal(1, bed.Fcm.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_InvalidArgumentForToken400_ReturnsTokenRejected()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Always(token, FcmFakeReply.InvalidToken);

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal("INVALID_ARGUMENT:message.token", result.Reason);
        Assert.Equal(1, bed.Fcm.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_InvalidArgumentNotAboutToken_ReturnsPermanentFailure()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Always(token, new FcmFakeReply(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"));

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("INVALID_ARGUMENT", result.Reason);
        Assert.Equal(1, bed.Fcm.AttemptsFor(token));
        Assert.Contains(bed.Host.Logs.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Error && r.Id.Id == 3013);
    }

    [Fact]
    public async Task SendAsync_QuotaExceeded429WithRetryAfter_WaitsThenDelivers()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Enqueue(token, FcmFakeReply.QuotaExceeded(TimeSpan.FromSeconds(1)));
        var stopwatch = Stopwatch.StartNew();

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(2, bed.Fcm.AttemptsFor(token));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {stopwatch.Elapsed}, before Retry-After: 1");
    }

    [Fact]
    public async Task SendAsync_QuotaExceededBeyondBudget_ReturnsTemporaryFailureWithRetryAfter()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Always(token, FcmFakeReply.QuotaExceeded(TimeSpan.FromSeconds(30)));

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal("QUOTA_EXCEEDED", result.Reason);
        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
        Assert.Equal(1, bed.Fcm.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_Unavailable503Persisting_ReturnsTemporaryFailureAfterMaxAttempts()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Always(token, FcmFakeReply.Unavailable);

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal(503, result.StatusCode);
        Assert.Equal("UNAVAILABLE", result.Reason);
        Assert.Equal(3, bed.Fcm.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_Internal500Once_RetriesAndDelivers()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Enqueue(token, FcmFakeReply.Internal);

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(2, bed.Fcm.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_Internal500Persisting_ReturnsTemporaryFailure()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Always(token, FcmFakeReply.Internal);

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal("INTERNAL", result.Reason);
        Assert.Equal(3, bed.Fcm.AttemptsFor(token));
    }

    [Fact]
    public async Task SendAsync_FcmTooSlow_ReturnsTemporaryFailureAfterTimeout()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync(new Dictionary<string, string?>
        {
            ["Push:Fcm:Retry:AttemptTimeout"] = "00:00:00.250",
            ["Push:Fcm:Retry:TotalTimeout"] = "00:00:01",
        });
        var token = FcmTestBed.NewDeviceToken();
        bed.Fcm.Always(token, FcmFakeReply.Slow(TimeSpan.FromSeconds(10)));
        await bed.SendAsync(FcmTestBed.Request(FcmTestBed.NewDeviceToken())); // fetch the access token outside the timed part
        var stopwatch = Stopwatch.StartNew();

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal("timeout", result.Reason);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"took {stopwatch.Elapsed}, beyond the 1 s total timeout");
    }

    [Fact]
    public async Task SendAsync_ManyConcurrentPushes_UseOneAccessToken()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        using var fetched = bed.Host.Collect<long>(PushGatewayMetrics.FcmAccessTokensInstrument);
        await bed.SendAsync(FcmTestBed.Request(FcmTestBed.NewDeviceToken()));
        var requests = Enumerable.Range(0, 100).Select(_ => FcmTestBed.Request(FcmTestBed.NewDeviceToken())).ToArray();

        // Act
        var results = await Task.WhenAll(requests.Select(bed.SendAsync));

        // Assert
        Assert.All(results, r => Assert.Equal(PushOutcome.Delivered, r.Outcome));
        Assert.Equal(1, bed.Fcm.TokenRequests);
        Assert.Single(fetched.GetMeasurementSnapshot());
        Assert.Single(bed.Fcm.Delivered.Select(m => m.AccessToken).Distinct());
        Assert.Empty(bed.Fcm.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_AccessTokenExpired_FetchesNewOne()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        await bed.SendAsync(FcmTestBed.Request(FcmTestBed.NewDeviceToken()));
        bed.Time.Advance(TimeSpan.FromMinutes(61));

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(FcmTestBed.NewDeviceToken()));

        // Assert
        Assert.Equal(PushOutcome.Delivered, result.Outcome);
        Assert.Equal(2, bed.Fcm.TokenRequests);
        Assert.Equal(2, bed.Fcm.Delivered.Select(m => m.AccessToken).Distinct().Count());
        Assert.Empty(bed.Fcm.ProtocolViolations);
    }

    [Fact]
    public async Task SendAsync_TokenEndpointRefusesAssertion_ReturnsTemporaryCredentialFailure()
    {
        // Arrange: the key file is signed by a key the token endpoint does not know.
        using var otherKey = System.Security.Cryptography.RSA.Create(2048);
        await using var bed = await FcmTestBed.StartAsync(signingKey: otherKey);
        var token = FcmTestBed.NewDeviceToken();

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(token));

        // Assert
        Assert.Equal(PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal("credential_unavailable", result.Reason);
        Assert.Empty(bed.Fcm.Messages);
        Assert.Contains(bed.Host.Logs.GetSnapshot(), r => r.Id.Id == 3031);
    }

    [Fact]
    public async Task SendAsync_MalformedToken_RejectedWithoutRequest()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request("\"},\"notification\":{\"body\":\"hi\""));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal("malformed_token", result.Reason);
        Assert.Empty(bed.Fcm.Messages);
    }

    [Fact]
    public async Task SendAsync_TokenWithTrailingNewline_RejectedWithoutRequest()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();

        // Act
        var result = await bed.SendAsync(FcmTestBed.Request(FcmTestBed.NewDeviceToken() + "\n"));

        // Assert
        Assert.Equal(PushOutcome.TokenRejected, result.Outcome);
        Assert.Equal("malformed_token", result.Reason);
        Assert.Empty(bed.Fcm.Messages);
    }

    [Fact]
    public async Task SendAsync_EveryKind_PayloadCarriesNoContent()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        var tokens = new[] { FcmTestBed.NewDeviceToken(), FcmTestBed.NewDeviceToken() };
        string[] allowed = ["message", "token", "data", "kind", "call", "android", "priority", "HIGH", "ttl", "86400s", "30s", "collapse_key", "message-waiting", "incoming-call", .. tokens];

        // Act
        await bed.SendAsync(FcmTestBed.Request(tokens[0], PushKind.MessageWaiting));
        await bed.SendAsync(FcmTestBed.Request(tokens[1], PushKind.IncomingCall));

        // Assert: only fixed vocabulary and the device token itself.
        Assert.Equal(2, bed.Fcm.Delivered.Count);
        foreach (var sent in bed.Fcm.Delivered)
        {
            using var json = JsonDocument.Parse(sent.Body);
            Assert.All(PrivacyAssert.NamesAndStrings(json.RootElement), word => Assert.Contains(word, allowed));
        }
    }

    [Fact]
    public async Task SendAsync_EveryOutcome_NoLogLineOrTraceContainsDeviceToken()
    {
        // Arrange
        await using var bed = await FcmTestBed.StartAsync();
        using var activities = new ActivityRecorder();
        var tokens = Enumerable.Range(0, 6).Select(_ => FcmTestBed.NewDeviceToken()).ToArray();
        bed.Fcm.Always(tokens[1], FcmFakeReply.Unregistered);
        bed.Fcm.Always(tokens[2], FcmFakeReply.InvalidToken);
        bed.Fcm.Always(tokens[3], FcmFakeReply.Internal);
        bed.Fcm.Always(tokens[4], FcmFakeReply.QuotaExceeded(TimeSpan.FromMinutes(5)));
        bed.Fcm.Always(tokens[5], new FcmFakeReply(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"));

        // Act
        foreach (var token in tokens)
        {
            await bed.SendAsync(FcmTestBed.Request(token));
        }

        // Assert
        PrivacyAssert.NoLogContains(bed.Host.Logs, tokens);
        PrivacyAssert.NoActivityContains(activities.Stopped, tokens);
        Assert.Contains(bed.Host.Logs.GetSnapshot(), r => r.Message.Contains(TokenHash.Of(tokens[1]), StringComparison.Ordinal));
    }
}
