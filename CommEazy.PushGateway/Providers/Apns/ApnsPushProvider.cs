using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace CommEazy.PushGateway.Providers.Apns;

/// <summary>
/// Sends pushes to APNs over HTTP/2 (<c>POST /3/device/&lt;token&gt;</c>) with a cached provider token. All requests
/// share one pooled HTTP/2 connection per APNs host as concurrent streams (see <see cref="PushProvidersExtensions"/>).
/// 429/5xx are retried by the client's resilience pipeline; <c>403 ExpiredProviderToken</c> gets one new provider
/// token and one more try here.
/// </summary>
internal sealed partial class ApnsPushProvider(
    IHttpClientFactory httpClientFactory,
    ApnsProviderTokenSource providerTokens,
    IOptions<ApnsOptions> options,
    TimeProvider time,
    PushGatewayMetrics metrics,
    ILogger<ApnsPushProvider> logger) : IPushProvider
{
    public const string HttpClientName = "apns";
    public const string ProviderName = "apns";

    private readonly ApnsOptions _options = options.Value;

    public string Name => ProviderName;

    public bool Supports(PushPlatform platform) => platform is PushPlatform.Apns or PushPlatform.ApnsVoip;

    public async Task<PushResult> SendAsync(PushRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = time.GetTimestamp();
        using var activity = PushGatewayMetrics.ActivitySource.StartActivity("apns push", ActivityKind.Client);
        activity?.SetTag(PushGatewayMetrics.ProviderAttribute, ProviderName);
        activity?.SetTag(PushGatewayMetrics.PlatformAttribute, request.Platform.ToLabel());
        activity?.SetTag(PushGatewayMetrics.KindAttribute, request.Kind.ToLabel());

        var push = Supports(request.Platform) ? ApnsPayloads.For(request.Platform, request.Kind) : null;
        PushResult result;
        if (push is null)
        {
            Log.PushUnsupported(logger, ProviderName, request.Kind.ToLabel(), request.Platform.ToLabel(), "no such APNs push");
            result = new PushResult(PushOutcome.PermanentFailure, "unsupported");
        }
        else if (!DeviceTokenFormat().IsMatch(request.DeviceToken))
        {
            // Also keeps anything but hex out of the request path.
            Log.PushTokenMalformed(logger, ProviderName, TokenHash.Of(request.DeviceToken), "not a hex APNs device token");
            result = new PushResult(PushOutcome.TokenRejected, "malformed_token");
        }
        else if (!TopicFormat().IsMatch(request.Topic))
        {
            Log.PushUnsupported(logger, ProviderName, request.Kind.ToLabel(), request.Platform.ToLabel(), "the topic is not a bundle id");
            result = new PushResult(PushOutcome.PermanentFailure, "malformed_topic");
        }
        else
        {
            result = await DeliverAsync(request, push, activity, cancellationToken).ConfigureAwait(false);
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

    private async Task<PushResult> DeliverAsync(PushRequest request, ApnsPush push, Activity? activity, CancellationToken cancellationToken)
    {
        var endpoint = request.Environment == PushEnvironment.Sandbox ? _options.SandboxEndpoint : _options.Endpoint;
        activity?.SetTag("server.address", endpoint.Host);
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            var providerToken = providerTokens.Current();
            var answer = await SendOnceAsync(client, endpoint, request, push, providerToken, cancellationToken).ConfigureAwait(false);
            if (answer is { Status: 403, Reason: ApnsOutcomes.ExpiredProviderToken })
            {
                Log.ApnsProviderTokenExpired(logger, providerToken.IssuedAt);
                providerToken = providerTokens.Renew(providerToken);
                answer = await SendOnceAsync(client, endpoint, request, push, providerToken, cancellationToken).ConfigureAwait(false);
            }
            return answer.ToResult();
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

    private async Task<ApnsAnswer> SendOnceAsync(
        HttpClient client, Uri endpoint, PushRequest request, ApnsPush push, ApnsProviderToken providerToken, CancellationToken cancellationToken)
    {
        var ttl = push.IsCall ? _options.CallTimeToLive : _options.MessageTimeToLive;
        var topic = push.PushType == "voip" && !request.Topic.EndsWith(".voip", StringComparison.Ordinal) ? request.Topic + ".voip" : request.Topic;
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "/3/device/" + request.DeviceToken))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(push.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        var headers = message.Headers;
        headers.TryAddWithoutValidation("authorization", "bearer " + providerToken.Value);
        headers.TryAddWithoutValidation("apns-push-type", push.PushType);
        headers.TryAddWithoutValidation("apns-topic", topic);
        headers.TryAddWithoutValidation("apns-priority", push.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        headers.TryAddWithoutValidation("apns-expiration", (time.GetUtcNow() + ttl).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        headers.TryAddWithoutValidation("apns-collapse-id", push.CollapseId);

        using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new ApnsAnswer(status, null, null, null);
        }
        var retryAfter = PushResilience.RetryAfter(response, time);
        var (reason, timestamp) = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
        return new ApnsAnswer(status, reason, timestamp, retryAfter);
    }

    /// <summary>Reads APNs' error body: <c>{"reason":"Unregistered","timestamp":1700000000000}</c> (timestamp in ms, 410 only).</summary>
    private static async Task<(string? Reason, DateTimeOffset? Timestamp)> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length == 0)
            {
                return (null, null);
            }
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            string? reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            DateTimeOffset? timestamp = root.TryGetProperty("timestamp", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
            return (PushResultLog.SanitizeReason(reason), timestamp);
        }
        catch (JsonException)
        {
            return ("unreadable_error_body", null);
        }
    }

    /// <summary>APNs device tokens are hex (32 bytes today; Apple asks not to rely on the length).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9a-fA-F]{32,400}\z")]
    private static partial System.Text.RegularExpressions.Regex DeviceTokenFormat();

    /// <summary>A bundle id (reverse DNS).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9.-]{0,250}\z")]
    private static partial System.Text.RegularExpressions.Regex TopicFormat();

    private sealed record ApnsAnswer(int Status, string? Reason, DateTimeOffset? Timestamp, TimeSpan? RetryAfter)
    {
        public PushResult ToResult()
        {
            if (ApnsOutcomes.Table.TryClassify(Status, Reason, out var outcome))
            {
                return outcome == PushOutcome.Delivered
                    ? PushResult.Delivered(Status)
                    : new PushResult(outcome, Reason ?? $"http_{Status}", Status, RetryAfter, outcome == PushOutcome.TokenRejected ? Timestamp : null);
            }
            return new PushResult(PushOutcome.PermanentFailure, Reason ?? $"http_{Status}", Status, RetryAfter);
        }
    }
}
