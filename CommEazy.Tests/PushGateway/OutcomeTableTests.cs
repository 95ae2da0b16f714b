using CommEazy.PushGateway;
using CommEazy.PushGateway.Providers.Apns;
using CommEazy.PushGateway.Providers.Fcm;

namespace CommEazy.Tests.PushGateway;

/// <summary>The providers' outcome tables, row by row, and what they let the HTTP pipeline retry.</summary>
public sealed class OutcomeTableTests
{
    [Theory]
    [InlineData(200, null, PushOutcome.Delivered)]
    [InlineData(400, "BadDeviceToken", PushOutcome.TokenRejected)]
    [InlineData(400, "DeviceTokenNotForTopic", PushOutcome.TokenRejected)]
    [InlineData(410, "Unregistered", PushOutcome.TokenRejected)]
    [InlineData(410, "ExpiredToken", PushOutcome.TokenRejected)]
    [InlineData(403, "ExpiredProviderToken", PushOutcome.TemporaryFailure)]
    [InlineData(403, "InvalidProviderToken", PushOutcome.TemporaryFailure)]
    [InlineData(429, "TooManyRequests", PushOutcome.TemporaryFailure)]
    [InlineData(500, "InternalServerError", PushOutcome.TemporaryFailure)]
    [InlineData(503, "ServiceUnavailable", PushOutcome.TemporaryFailure)]
    [InlineData(503, "Shutdown", PushOutcome.TemporaryFailure)]
    public void ApnsTable_ListedAnswer_ClassifiedAsListed(int status, string? reason, PushOutcome expected)
    {
        // Arrange
        var table = ApnsOutcomes.Table;

        // Act
        var listed = table.TryClassify(status, reason, out var outcome);

        // Assert
        Assert.True(listed);
        Assert.Equal(expected, outcome);
    }

    [Theory]
    [InlineData(400, "BadTopic")]
    [InlineData(400, "PayloadEmpty")]
    [InlineData(403, "BadCertificate")]
    [InlineData(413, "PayloadTooLarge")]
    public void ApnsTable_UnlistedAnswer_IsPermanentFailure(int status, string reason)
    {
        // Arrange
        var table = ApnsOutcomes.Table;

        // Act
        var listed = table.TryClassify(status, reason, out var outcome);

        // Assert
        Assert.False(listed);
        Assert.Equal(PushOutcome.PermanentFailure, outcome);
    }

    [Theory]
    [InlineData(200, null, PushOutcome.Delivered)]
    [InlineData(404, "UNREGISTERED", PushOutcome.TokenRejected)]
    [InlineData(400, "INVALID_ARGUMENT:message.token", PushOutcome.TokenRejected)]
    [InlineData(403, "SENDER_ID_MISMATCH", PushOutcome.TokenRejected)]
    [InlineData(401, "UNAUTHENTICATED", PushOutcome.TemporaryFailure)]
    [InlineData(401, "THIRD_PARTY_AUTH_ERROR", PushOutcome.TemporaryFailure)]
    [InlineData(429, "QUOTA_EXCEEDED", PushOutcome.TemporaryFailure)]
    [InlineData(503, "UNAVAILABLE", PushOutcome.TemporaryFailure)]
    [InlineData(500, "INTERNAL", PushOutcome.TemporaryFailure)]
    [InlineData(502, null, PushOutcome.TemporaryFailure)]
    public void FcmTable_ListedAnswer_ClassifiedAsListed(int status, string? reason, PushOutcome expected)
    {
        // Arrange
        var table = FcmOutcomes.Table;

        // Act
        var listed = table.TryClassify(status, reason, out var outcome);

        // Assert
        Assert.True(listed);
        Assert.Equal(expected, outcome);
    }

    [Theory]
    [InlineData(400, "INVALID_ARGUMENT")]
    [InlineData(404, "NOT_FOUND")]
    [InlineData(403, "PERMISSION_DENIED")]
    public void FcmTable_UnlistedAnswer_IsPermanentFailure(int status, string reason)
    {
        // Arrange
        var table = FcmOutcomes.Table;

        // Act
        var listed = table.TryClassify(status, reason, out var outcome);

        // Assert
        Assert.False(listed);
        Assert.Equal(PushOutcome.PermanentFailure, outcome);
    }

    [Theory]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(200, false)]
    [InlineData(400, false)]
    [InlineData(403, false)] // ExpiredProviderToken is refreshed by the provider, never retried blindly
    [InlineData(410, false)]
    public void ApnsTable_IsRetryableStatus_OnlyWholeStatusTemporaryRows(int status, bool expected)
    {
        // Arrange
        var table = ApnsOutcomes.Table;

        // Act
        var retryable = table.IsRetryableStatus(status);

        // Assert
        Assert.Equal(expected, retryable);
    }

    [Theory]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(401, false)]
    [InlineData(400, false)]
    [InlineData(404, false)]
    public void FcmTable_IsRetryableStatus_OnlyWholeStatusTemporaryRows(int status, bool expected)
    {
        // Arrange
        var table = FcmOutcomes.Table;

        // Act
        var retryable = table.IsRetryableStatus(status);

        // Assert
        Assert.Equal(expected, retryable);
    }
}
