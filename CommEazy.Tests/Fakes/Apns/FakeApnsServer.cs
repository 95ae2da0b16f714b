using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.Tests.Fakes.Apns;

/// <summary>What the fake APNs checks requests against.</summary>
/// <param name="TeamId">Expected <c>iss</c> of provider tokens.</param>
/// <param name="KeyId">Expected <c>kid</c> of provider tokens.</param>
/// <param name="SigningKey">The public half of the test .p8 key: provider token signatures must verify with it.</param>
/// <param name="BundleId">The app's bundle id: alert pushes go to it, VoIP pushes to <c>&lt;bundle&gt;.voip</c>.</param>
/// <param name="Time">The fake's clock, shared with the code under test so tests can move both.</param>
/// <param name="Certificate">The TLS certificate the fake presents.</param>
internal sealed record FakeApnsSettings(string TeamId, string KeyId, SecurityKey SigningKey, string BundleId, TimeProvider Time, X509Certificate2 Certificate);

/// <summary>
/// An in-process APNs for tests: Kestrel on 127.0.0.1 (random port), HTTP/2 only over TLS. Like APNs it checks
/// the ES256 provider token (signature, <c>kid</c>, <c>iss</c>, <c>iat</c> not older than an hour nor in the future),
/// the <c>apns-*</c> headers, the hex device token, the topic and the payload, answering APNs' own errors when
/// they are wrong (and noting each as a <see cref="ProtocolViolations">protocol violation</see>). Every request is
/// recorded. Per token it can be told to answer 410 / 400 / 403 / 429 / 5xx or to be slow.
/// </summary>
internal sealed partial class FakeApnsServer : IAsyncDisposable
{
    private static readonly HashSet<string> PushTypes = ["alert", "background", "voip", "complication", "fileprovider", "mdm", "location", "liveactivity", "pushtotalk"];
    private const int MaxPayloadBytes = 4096;
    private const int MaxVoipPayloadBytes = 5120;

    private readonly FakeApnsSettings _settings;
    private readonly WebApplication _app;
    private readonly JsonWebTokenHandler _jwtHandler = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _verifiedProviderTokens = new(StringComparer.Ordinal);
    private readonly ScriptedReplies<ApnsFakeReply> _replies = new(ApnsFakeReply.Ok);
    private readonly ConcurrentQueue<ApnsRecordedPush> _requests = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private int _connections;

    private FakeApnsServer(FakeApnsSettings settings)
    {
        _settings = settings;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // APNs allows many concurrent streams per connection (its SETTINGS_MAX_CONCURRENT_STREAMS is ~1000).
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(next => connection =>
                {
                    Interlocked.Increment(ref _connections);
                    return next(connection);
                });
                listen.UseHttps(settings.Certificate);
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>Base address, e.g. <c>https://127.0.0.1:40123/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request received, in arrival order, with what it was answered.</summary>
    public IReadOnlyList<ApnsRecordedPush> Requests => [.. _requests];

    /// <summary>The requests answered 200.</summary>
    public IReadOnlyList<ApnsRecordedPush> Delivered => [.. _requests.Where(r => r.AnsweredStatus == 200)];

    /// <summary>Ways in which requests broke the APNs protocol (empty when the client behaved).</summary>
    public IReadOnlyList<string> ProtocolViolations => [.. _violations];

    /// <summary>TCP connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>How many requests arrived for a device token.</summary>
    public int AttemptsFor(string deviceToken) => _replies.AttemptsFor(deviceToken);

    /// <summary>Distinct provider tokens (JWTs) that were accepted.</summary>
    public int DistinctProviderTokens => _verifiedProviderTokens.Count;

    /// <summary>Answers the next requests for <paramref name="deviceToken"/> with these replies, one each, in order.</summary>
    public void Enqueue(string deviceToken, params ApnsFakeReply[] replies) => _replies.Enqueue(deviceToken, replies);

    /// <summary>Answers every request for <paramref name="deviceToken"/> (after any queued replies) with <paramref name="reply"/>.</summary>
    public void Always(string deviceToken, ApnsFakeReply reply) => _replies.Always(deviceToken, reply);

    /// <summary>Forgets what it was told to answer for <paramref name="deviceToken"/>: from now on, 200.</summary>
    public void Reset(string deviceToken) => _replies.Reset(deviceToken);

    /// <summary>The requests received for one device token.</summary>
    public IReadOnlyList<ApnsRecordedPush> RequestsFor(string deviceToken) => [.. _requests.Where(r => r.DeviceToken == deviceToken)];

    public static async Task<FakeApnsServer> StartAsync(FakeApnsSettings settings, CancellationToken cancellationToken = default)
    {
        var server = new FakeApnsServer(settings);
        await server._app.StartAsync(cancellationToken);
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        const string prefix = "/3/device/";
        if (!HttpMethods.IsPost(request.Method) || request.Path.Value is not { } path || !path.StartsWith(prefix, StringComparison.Ordinal))
        {
            Violation($"{request.Method} {request.Path}: APNs only serves POST /3/device/<token>");
            await AnswerAsync(context, new ApnsFakeReply(404, "BadPath"));
            return;
        }
        var deviceToken = path[prefix.Length..];
        _replies.CountAttempt(deviceToken);
        if (request.Protocol != "HTTP/2")
        {
            Violation($"{request.Protocol}: APNs only speaks HTTP/2");
        }

        var (providerToken, issuedAt, tokenError) = await CheckProviderTokenAsync(request.Headers.Authorization.ToString());
        var pushType = request.Headers["apns-push-type"].ToString();
        var topic = request.Headers["apns-topic"].ToString();
        var priority = request.Headers["apns-priority"].ToString();
        var expirationText = request.Headers["apns-expiration"].ToString();
        var collapseId = request.Headers["apns-collapse-id"].ToString();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();

        var expiration = long.TryParse(expirationText, NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : -1;
        var reply = tokenError ?? CheckRequest(deviceToken, pushType, topic, priority, expirationText, collapseId, body, request.ContentType) ?? _replies.Next(deviceToken);
        _requests.Enqueue(new ApnsRecordedPush(deviceToken, request.Protocol, pushType, topic, priority, expiration,
            collapseId.Length == 0 ? null : collapseId, providerToken, issuedAt, body, reply.Status, DateTimeOffset.UtcNow));

        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // The client gave up (its attempt timeout reset the stream).
            }
        }
        await AnswerAsync(context, reply);
    }

    private async Task<(string Token, DateTimeOffset IssuedAt, ApnsFakeReply? Error)> CheckProviderTokenAsync(string authorization)
    {
        const string scheme = "bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            Violation("no 'authorization: bearer <provider token>' header");
            return ("", default, new ApnsFakeReply(403, "MissingProviderToken"));
        }
        var token = authorization[scheme.Length..].Trim();
        if (!_verifiedProviderTokens.TryGetValue(token, out var issuedAt))
        {
            var result = await _jwtHandler.ValidateTokenAsync(token, new TokenValidationParameters
            {
                IssuerSigningKey = _settings.SigningKey,
                ValidIssuer = _settings.TeamId,
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                ValidateAudience = false,
                ValidateLifetime = false, // APNs tokens carry no exp: iat is checked below against the fake's clock.
                RequireExpirationTime = false,
            });
            if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
            {
                Violation($"provider token rejected: {result.Exception?.GetType().Name}");
                return (token, default, new ApnsFakeReply(403, "InvalidProviderToken"));
            }
            if (jwt.Kid != _settings.KeyId || jwt.Alg != SecurityAlgorithms.EcdsaSha256 || !jwt.TryGetPayloadValue<long>("iat", out var iat))
            {
                Violation($"provider token needs kid={_settings.KeyId}, alg=ES256 and iat (got kid={jwt.Kid}, alg={jwt.Alg})");
                return (token, default, new ApnsFakeReply(403, "InvalidProviderToken"));
            }
            issuedAt = DateTimeOffset.FromUnixTimeSeconds(iat);
            _verifiedProviderTokens.TryAdd(token, issuedAt);
        }
        var now = _settings.Time.GetUtcNow();
        if (issuedAt > now + TimeSpan.FromMinutes(1))
        {
            Violation($"provider token issued in the future ({issuedAt:O} > {now:O})");
            return (token, issuedAt, new ApnsFakeReply(403, "InvalidProviderToken"));
        }
        if (now - issuedAt > TimeSpan.FromHours(1))
        {
            Violation($"provider token older than an hour (issued {issuedAt:O}, now {now:O})");
            return (token, issuedAt, ApnsFakeReply.ExpiredProviderToken);
        }
        return (token, issuedAt, null);
    }

    private ApnsFakeReply? CheckRequest(string deviceToken, string pushType, string topic, string priority, string expiration, string collapseId, byte[] body, string? contentType)
    {
        if (!HexToken().IsMatch(deviceToken))
        {
            return Reject(400, "BadDeviceToken", "device token is not hex");
        }
        if (topic.Length == 0)
        {
            return Reject(400, "MissingTopic", "no apns-topic");
        }
        if (!PushTypes.Contains(pushType))
        {
            return Reject(400, "InvalidPushType", $"apns-push-type '{pushType}'");
        }
        var expectedTopic = pushType == "voip" ? _settings.BundleId + ".voip" : _settings.BundleId;
        if (topic != expectedTopic)
        {
            return Reject(400, "DeviceTokenNotForTopic", $"apns-topic '{topic}' for a {pushType} push (expected '{expectedTopic}')");
        }
        if (priority is not ("5" or "10"))
        {
            return Reject(400, "BadPriority", $"apns-priority '{priority}'");
        }
        if (!long.TryParse(expiration, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return Reject(400, "BadExpirationDate", $"apns-expiration '{expiration}'");
        }
        if (System.Text.Encoding.UTF8.GetByteCount(collapseId) > 64)
        {
            return Reject(400, "BadCollapseId", "apns-collapse-id longer than 64 bytes");
        }
        if (body.Length == 0)
        {
            return Reject(400, "PayloadEmpty", "empty payload");
        }
        if (body.Length > (pushType == "voip" ? MaxVoipPayloadBytes : MaxPayloadBytes))
        {
            return Reject(413, "PayloadTooLarge", $"payload of {body.Length} bytes");
        }
        if (contentType is not null && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            Violation($"content-type '{contentType}'");
        }
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Reject(400, "BadPayload", "payload is not a JSON object");
            }
            if (pushType == "alert" && !json.RootElement.TryGetProperty("aps", out _))
            {
                return Reject(400, "BadPayload", "alert payload without aps");
            }
        }
        catch (JsonException)
        {
            return Reject(400, "BadPayload", "payload is not JSON");
        }
        return null;
    }


    private ApnsFakeReply Reject(int status, string reason, string violation)
    {
        Violation(violation);
        return new ApnsFakeReply(status, reason);
    }

    private void Violation(string what) => _violations.Enqueue(what);

    private static async Task AnswerAsync(HttpContext context, ApnsFakeReply reply)
    {
        var response = context.Response;
        response.StatusCode = reply.Status;
        response.Headers["apns-id"] = Guid.NewGuid().ToString("D").ToUpperInvariant();
        if (reply.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        if (reply.Status == 200)
        {
            return;
        }
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("reason", reply.Reason);
        if (reply.Timestamp is { } timestamp)
        {
            writer.WriteNumber("timestamp", timestamp.ToUnixTimeMilliseconds());
        }
        writer.WriteEndObject();
    }

    [GeneratedRegex(@"^[0-9a-fA-F]{64,200}\z")]
    private static partial Regex HexToken();
}
