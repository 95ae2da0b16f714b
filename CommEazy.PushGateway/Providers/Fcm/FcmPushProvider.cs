using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace CommEazy.PushGateway.Providers.Fcm;

/// <summary>
/// Sends pushes through FCM HTTP v1 (<c>POST /v1/projects/{project}/messages:send</c>) with a service-account
/// OAuth2 access token. 429/5xx are retried by the client's resilience pipeline.
/// </summary>
internal sealed partial class FcmPushProvider(
    IHttpClientFactory httpClientFactory,
    FcmAccessTokenSource accessTokens,
    IOptions<FcmOptions> options,
    TimeProvider time,
    PushGatewayMetrics metrics,
    ILogger<FcmPushProvider> logger) : IPushProvider
{
    public const string HttpClientName = "fcm";
    public const string ProviderName = "fcm";

    private readonly FcmOptions _options = options.Value;
    private readonly Uri _sendUri = new(options.Value.Endpoint, $"/v1/projects/{Uri.EscapeDataString(accessTokens.Account.ProjectId)}/messages:send");

    public string Name => ProviderName;

    public bool Supports(PushPlatform platform) => platform == PushPlatform.Fcm;

    public async Task<PushResult> SendAsync(PushRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = time.GetTimestamp();
        using var activity = PushGatewayMetrics.ActivitySource.StartActivity("fcm push", ActivityKind.Client);
        activity?.SetTag(PushGatewayMetrics.ProviderAttribute, ProviderName);
        activity?.SetTag(PushGatewayMetrics.PlatformAttribute, request.Platform.ToLabel());
        activity?.SetTag(PushGatewayMetrics.KindAttribute, request.Kind.ToLabel());
        activity?.SetTag("server.address", _sendUri.Host);

        PushResult result;
        if (!Supports(request.Platform))
        {
            Log.PushUnsupported(logger, ProviderName, request.Kind.ToLabel(), request.Platform.ToLabel(), "not an FCM token");
            result = new PushResult(PushOutcome.PermanentFailure, "unsupported");
        }
        else if (!DeviceTokenFormat().IsMatch(request.DeviceToken))
        {
            Log.PushTokenMalformed(logger, ProviderName, TokenHash.Of(request.DeviceToken), "not an FCM registration token");
            result = new PushResult(PushOutcome.TokenRejected, "malformed_token");
        }
        else
        {
            result = await DeliverAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = time.GetElapsedTime(started);
        activity?.SetTag(PushGatewayMetrics.OutcomeAttribute, result.Outcome.ToLabel());
        if (result.StatusCode is { } status)
        {
            activity?.SetTag("http.response.status_code", status);
        }
        if (result.Outcome != PushOutcome.Delivered)
        {
            activity?.SetTag("error.type", result.Reason);
            activity?.SetStatus(ActivityStatusCode.Error);
        }
        metrics.PushCompleted(ProviderName, request, result.Outcome, elapsed);
        PushResultLog.Write(logger, ProviderName, request, result, elapsed);
        return result;
    }

    private async Task<PushResult> DeliverAsync(PushRequest request, CancellationToken cancellationToken)
    {
        string accessToken;
        try
        {
            // The token endpoint is outside the send pipeline: bound it by the same total timeout.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Retry.TotalTimeout);
            accessToken = await accessTokens.GetAccessTokenAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // TokenResponseException, HttpRequestException, a timeout: our credential, never the device's fault.
            Log.FcmAccessTokenFailed(logger, accessTokens.Account.ProjectId, e);
            return PushResult.Temporary("credential_unavailable");
        }

        var ttl = request.Kind == PushKind.IncomingCall ? _options.CallTimeToLive : _options.MessageTimeToLive;
        using var message = new HttpRequestMessage(HttpMethod.Post, _sendUri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ByteArrayContent(FcmMessages.Build(request.DeviceToken, request.Kind, ttl))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
            },
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        try
        {
            using var response = await httpClientFactory.CreateClient(HttpClientName)
                .SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return PushResult.Delivered(status);
            }
            var retryAfter = PushResilience.RetryAfter(response, time);
            var reason = await ReadReasonAsync(response, cancellationToken).ConfigureAwait(false) ?? $"http_{status}";
            return FcmOutcomes.Table.TryClassify(status, reason, out var outcome)
                ? new PushResult(outcome, reason, status, retryAfter)
                : new PushResult(PushOutcome.PermanentFailure, reason, status, retryAfter);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TimeoutRejectedException or OperationCanceledException)
        {
            return PushResult.Temporary("timeout");
        }
        catch (HttpRequestException)
        {
            return PushResult.Temporary("connection_failed");
        }
    }

    /// <summary>
    /// The reason of an FCM error: <c>details[FcmError].errorCode</c>, else <c>error.status</c>;
    /// <see cref="FcmOutcomes.InvalidToken"/> when an <c>INVALID_ARGUMENT</c> names <c>message.token</c> as the bad field.
    /// </summary>
    internal static async Task<string?> ReadReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length == 0)
            {
                return null;
            }
            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            string? errorCode = null;
            var tokenIsTheBadField = false;
            if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var detail in details.EnumerateArray())
                {
                    var type = detail.TryGetProperty("@type", out var t) ? t.GetString() : null;
                    if (type?.EndsWith("google.firebase.fcm.v1.FcmError", StringComparison.Ordinal) == true
                        && detail.TryGetProperty("errorCode", out var code) && code.ValueKind == JsonValueKind.String)
                    {
                        errorCode = code.GetString();
                    }
                    else if (type?.EndsWith("google.rpc.BadRequest", StringComparison.Ordinal) == true
                        && detail.TryGetProperty("fieldViolations", out var violations) && violations.ValueKind == JsonValueKind.Array)
                    {
                        tokenIsTheBadField |= violations.EnumerateArray().Any(v =>
                            v.TryGetProperty("field", out var field) && field.ValueKind == JsonValueKind.String && field.GetString() == "message.token");
                    }
                }
            }
            errorCode ??= error.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String ? status.GetString() : null;
            return errorCode == "INVALID_ARGUMENT" && tokenIsTheBadField ? FcmOutcomes.InvalidToken : PushResultLog.SanitizeReason(errorCode);
        }
        catch (JsonException)
        {
            return "unreadable_error_body";
        }
        catch (InvalidOperationException)
        {
            return "unreadable_error_body";
        }
    }

    /// <summary>FCM registration tokens: URL-safe base64 with <c>:</c> separators. Anything else never reaches FCM.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9_:.-]{16,4096}\z")]
    private static partial System.Text.RegularExpressions.Regex DeviceTokenFormat();
}
