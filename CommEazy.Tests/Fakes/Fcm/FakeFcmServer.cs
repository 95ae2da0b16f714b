using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
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

namespace CommEazy.Tests.Fakes.Fcm;

/// <summary>What the fake FCM checks requests against.</summary>
/// <param name="ProjectId">The only project it sends for.</param>
/// <param name="ClientEmail">The service account: the <c>iss</c> of assertions.</param>
/// <param name="PrivateKeyId">The <c>kid</c> of assertions.</param>
/// <param name="SigningKey">The service account's public key: assertion signatures must verify with it.</param>
/// <param name="Time">The fake's clock, shared with the code under test.</param>
/// <param name="Certificate">The TLS certificate the fake presents.</param>
internal sealed record FakeFcmSettings(string ProjectId, string ClientEmail, string PrivateKeyId, SecurityKey SigningKey, TimeProvider Time, X509Certificate2 Certificate)
{
    /// <summary>Lifetime of the access tokens it issues.</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>
/// An in-process FCM for tests: Kestrel on 127.0.0.1 (random port), HTTP/2 and HTTP/1.1 over TLS, serving
/// <list type="bullet">
/// <item><c>POST /token</c>, Google's OAuth2 token endpoint for service accounts: a JWT-bearer grant whose assertion
/// must be RS256-signed by the account's key (<c>kid</c>), from the account (<c>iss</c>), for Google's token endpoint
/// (<c>aud</c> = <c>https://oauth2.googleapis.com/token</c>, as Google requires, or this endpoint's own URL), asking
/// for the <c>firebase.messaging</c> scope, issued no later than now and expiring within the hour;</item>
/// <item><c>POST /v1/projects/{project}/messages:send</c>: needs a live access token it issued and a data-only
/// message (<c>token</c>, string-valued <c>data</c>, <c>android</c> options, nothing else).</item>
/// </list>
/// Protocol breaches are answered as FCM would and noted in <see cref="ProtocolViolations"/>. Per token it can be
/// told to answer UNREGISTERED, INVALID_ARGUMENT, QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL or to be slow.
/// </summary>
internal sealed partial class FakeFcmServer : IAsyncDisposable
{
    private const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private const string GoogleTokenAudience = "https://oauth2.googleapis.com/token";
    private const string MessagingScope = "https://www.googleapis.com/auth/firebase.messaging";
    private static readonly HashSet<string> MessageFields = ["token", "data", "android"];
    private static readonly HashSet<string> AndroidFields = ["priority", "ttl", "collapse_key"];

    private readonly FakeFcmSettings _settings;
    private readonly WebApplication _app;
    private readonly JsonWebTokenHandler _jwtHandler = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);
    private readonly ScriptedReplies<FcmFakeReply> _replies = new(FcmFakeReply.Ok);
    private readonly ConcurrentQueue<FcmRecordedMessage> _messages = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private int _tokenRequests;

    private FakeFcmServer(FakeFcmSettings settings)
    {
        _settings = settings;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(settings.Certificate);
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The OAuth2 token endpoint: the <c>token_uri</c> of the service-account key file.</summary>
    public Uri TokenUri => new(BaseAddress, "/token");

    /// <summary>Token endpoint requests, successful or not.</summary>
    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Access tokens issued.</summary>
    public int AccessTokensIssued => _accessTokens.Count;

    /// <summary>Every send received, in arrival order, with what it was answered.</summary>
    public IReadOnlyList<FcmRecordedMessage> Messages => [.. _messages];

    public IReadOnlyList<FcmRecordedMessage> Delivered => [.. _messages.Where(m => m.AnsweredStatus == 200)];

    /// <summary>Ways in which requests broke the FCM / OAuth2 protocol (empty when the client behaved).</summary>
    public IReadOnlyList<string> ProtocolViolations => [.. _violations];

    public int AttemptsFor(string deviceToken) => _replies.AttemptsFor(deviceToken);

    /// <summary>Answers the next sends to <paramref name="deviceToken"/> with these replies, one each, in order.</summary>
    public void Enqueue(string deviceToken, params FcmFakeReply[] replies) => _replies.Enqueue(deviceToken, replies);

    /// <summary>Answers every send to <paramref name="deviceToken"/> (after any queued replies) with <paramref name="reply"/>.</summary>
    public void Always(string deviceToken, FcmFakeReply reply) => _replies.Always(deviceToken, reply);

    /// <summary>Forgets what it was told to answer for <paramref name="deviceToken"/>: from now on, 200.</summary>
    public void Reset(string deviceToken) => _replies.Reset(deviceToken);

    /// <summary>The sends received for one registration token.</summary>
    public IReadOnlyList<FcmRecordedMessage> MessagesFor(string deviceToken) => [.. _messages.Where(m => m.DeviceToken == deviceToken)];

    public static async Task<FakeFcmServer> StartAsync(FakeFcmSettings settings, CancellationToken cancellationToken = default)
    {
        var server = new FakeFcmServer(settings);
        await server._app.StartAsync(cancellationToken);
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>A service-account key file (JSON) for this fake: its token_uri points here.</summary>
    public string ServiceAccountJson(RSA privateKey) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account",
        ["project_id"] = _settings.ProjectId,
        ["private_key_id"] = _settings.PrivateKeyId,
        ["private_key"] = privateKey.ExportPkcs8PrivateKeyPem(),
        ["client_email"] = _settings.ClientEmail,
        ["client_id"] = "100000000000000000001",
        ["auth_uri"] = new Uri(BaseAddress, "/auth").AbsoluteUri,
        ["token_uri"] = TokenUri.AbsoluteUri,
    });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (HttpMethods.IsPost(context.Request.Method) && path == "/token")
        {
            return IssueAccessTokenAsync(context);
        }
        if (HttpMethods.IsPost(context.Request.Method) && SendPath().Match(path) is { Success: true } match)
        {
            return SendAsync(context, match.Groups["project"].Value);
        }
        Violation($"{context.Request.Method} {path}: not an FCM or OAuth2 endpoint");
        return ErrorAsync(context, new FcmFakeReply(404, "NOT_FOUND"), "Not found");
    }

    private async Task IssueAccessTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        if (!context.Request.HasFormContentType)
        {
            await OAuthErrorAsync(context, "invalid_request", "expected an application/x-www-form-urlencoded body");
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["grant_type"] != JwtBearerGrant)
        {
            await OAuthErrorAsync(context, "unsupported_grant_type", $"grant_type must be {JwtBearerGrant}");
            return;
        }
        var assertionText = form["assertion"].ToString();
        var result = await _jwtHandler.ValidateTokenAsync(assertionText, new TokenValidationParameters
        {
            IssuerSigningKey = _settings.SigningKey,
            ValidIssuer = _settings.ClientEmail,
            // Google requires aud = its token endpoint (the token_uri of every real key file); Google.Apis.Auth always
            // sends that. This endpoint's own URL is accepted too.
            ValidAudiences = [GoogleTokenAudience, TokenUri.AbsoluteUri],
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateLifetime = false, // checked below against the fake's clock
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken assertion)
        {
            var claims = _jwtHandler.CanReadToken(assertionText) ? _jwtHandler.ReadJsonWebToken(assertionText) : null;
            await OAuthErrorAsync(context, "invalid_grant",
                $"assertion rejected ({result.Exception?.GetType().Name}): iss={claims?.Issuer}, aud={string.Join(",", claims?.Audiences ?? [])}, kid={claims?.Kid}, alg={claims?.Alg}");
            return;
        }
        var now = _settings.Time.GetUtcNow();
        var issuedAt = new DateTimeOffset(assertion.IssuedAt, TimeSpan.Zero);
        var expires = new DateTimeOffset(assertion.ValidTo, TimeSpan.Zero);
        if (assertion.Kid != _settings.PrivateKeyId)
        {
            await OAuthErrorAsync(context, "invalid_grant", $"assertion kid '{assertion.Kid}' is not the account's key id");
            return;
        }
        if (issuedAt > now + TimeSpan.FromMinutes(1) || expires <= now || expires - issuedAt > TimeSpan.FromHours(1))
        {
            await OAuthErrorAsync(context, "invalid_grant", $"assertion not current: iat {issuedAt:O}, exp {expires:O}, now {now:O}");
            return;
        }
        if (!assertion.TryGetPayloadValue<string>("scope", out var scope) || !scope.Split(' ').Contains(MessagingScope))
        {
            await OAuthErrorAsync(context, "invalid_scope", $"scope must include {MessagingScope}");
            return;
        }

        var accessToken = "ya29.fake-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _accessTokens[accessToken] = now + _settings.AccessTokenLifetime;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            access_token = accessToken,
            expires_in = (long)_settings.AccessTokenLifetime.TotalSeconds,
            token_type = "Bearer",
        }), context.RequestAborted);
    }

    private async Task SendAsync(HttpContext context, string project)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = System.Text.Encoding.UTF8.GetString(buffer.ToArray());

        var authorization = request.Headers.Authorization.ToString();
        var accessToken = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : "";
        if (!_accessTokens.TryGetValue(accessToken, out var expires) || expires <= _settings.Time.GetUtcNow())
        {
            Violation(accessToken.Length == 0 ? "send without a bearer access token" : "send with an unknown or expired access token");
            await ErrorAsync(context, new FcmFakeReply(401, "UNAUTHENTICATED", "UNAUTHENTICATED"), "Request had invalid authentication credentials.");
            return;
        }
        if (project != _settings.ProjectId)
        {
            Violation($"send for project '{project}'");
            await ErrorAsync(context, new FcmFakeReply(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"), "Permission denied.");
            return;
        }
        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            Violation($"content-type '{request.ContentType}'");
        }

        var (deviceToken, shapeError) = CheckMessage(body);
        if (deviceToken is not null)
        {
            _replies.CountAttempt(deviceToken);
        }
        var reply = shapeError is not null ? new FcmFakeReply(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT") : _replies.Next(deviceToken!);
        if (shapeError is not null)
        {
            Violation(shapeError);
        }
        _messages.Enqueue(new FcmRecordedMessage(deviceToken ?? "", request.Protocol, accessToken, body, reply.Status, DateTimeOffset.UtcNow));

        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        if (reply.Status == 200)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"name":"projects/{{project}}/messages/0:{{Guid.NewGuid():N}}"}""", context.RequestAborted);
            return;
        }
        await ErrorAsync(context, reply, shapeError ?? "Scripted error.");
    }

    /// <summary>Checks a v1 send body is one data-only message; returns its token and, if the shape is wrong, why.</summary>
    private static (string? Token, string? Error) CheckMessage(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 1 || !root.TryGetProperty("message", out var message))
            {
                return (null, "body must be {\"message\":{…}} and nothing else");
            }
            string? token = message.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (string.IsNullOrEmpty(token))
            {
                return (null, "message.token missing");
            }
            if (message.EnumerateObject().FirstOrDefault(p => !MessageFields.Contains(p.Name)) is { Value.ValueKind: not JsonValueKind.Undefined } extra)
            {
                return (token, $"message.{extra.Name} is not allowed in a data-only message");
            }
            if (!message.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || data.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
            {
                return (token, "message.data must be an object of strings");
            }
            if (message.TryGetProperty("android", out var android))
            {
                if (android.EnumerateObject().FirstOrDefault(p => !AndroidFields.Contains(p.Name)) is { Value.ValueKind: not JsonValueKind.Undefined } extraAndroid)
                {
                    return (token, $"message.android.{extraAndroid.Name} is not expected");
                }
                if (android.TryGetProperty("priority", out var priority) && priority.GetString() is not ("HIGH" or "NORMAL"))
                {
                    return (token, "message.android.priority must be HIGH or NORMAL");
                }
                if (android.TryGetProperty("ttl", out var ttl) && (ttl.ValueKind != JsonValueKind.String || !Duration().IsMatch(ttl.GetString()!)))
                {
                    return (token, "message.android.ttl must be a duration like \"30s\"");
                }
            }
            return (token, null);
        }
        catch (JsonException)
        {
            return (null, "body is not JSON");
        }
    }


    private void Violation(string what) => _violations.Enqueue(what);

    private async Task OAuthErrorAsync(HttpContext context, string error, string description)
    {
        Violation($"token endpoint: {error}: {description}");
        context.Response.StatusCode = 400;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error, error_description = description }), context.RequestAborted);
    }

    private static async Task ErrorAsync(HttpContext context, FcmFakeReply reply, string message)
    {
        var response = context.Response;
        response.StatusCode = reply.Status;
        if (reply.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        response.ContentType = "application/json";
        var details = new List<object>();
        if (reply.ErrorCode is not null)
        {
            details.Add(new Dictionary<string, object> { ["@type"] = "type.googleapis.com/google.firebase.fcm.v1.FcmError", ["errorCode"] = reply.ErrorCode });
        }
        if (reply.TokenFieldViolation)
        {
            details.Add(new Dictionary<string, object>
            {
                ["@type"] = "type.googleapis.com/google.rpc.BadRequest",
                ["fieldViolations"] = new[] { new { field = "message.token", description = "The registration token is not a valid FCM registration token" } },
            });
        }
        await response.WriteAsync(JsonSerializer.Serialize(new
        {
            error = new { code = reply.Status, message, status = reply.GrpcStatus ?? "UNKNOWN", details },
        }), context.RequestAborted);
    }

    [GeneratedRegex(@"^/v1/projects/(?<project>[^/]+)/messages:send\z")]
    private static partial Regex SendPath();

    [GeneratedRegex(@"^\d+(\.\d{1,9})?s\z")]
    private static partial Regex Duration();
}
