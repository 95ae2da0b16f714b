using System.Net;
using System.Text;
using System.Text.Json;
using CommEazy.AuthBridge;
using CommEazy.AuthBridge.Apis;
using CommEazy.Tests.AuthBridge.Fakes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace CommEazy.Tests.AuthBridge;

/// <summary>
/// The per-client-address rate limit of the AuthBridge's public endpoints, on the real Program in memory: within the
/// burst the normal answer, then 429 with Retry-After and a reason, per address (and per forwarded address only behind
/// a trusted proxy), never on the internal port.
/// </summary>
public sealed class ClientRateLimitTests
{
    private const int Burst = 3;
    private const int PublicPort = 8090;
    private const int InternalPort = 9190;

    /// <summary>With one request per second given back, this many requests past the burst take seconds: a 429 must have come by then.</summary>
    private const int Slack = 5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    private static Dictionary<string, string?> LowLimit(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AuthBridge:RequestBurstPerAddress"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AuthBridge:RequestsPerSecondPerAddress"] = "1",
            ["InternalPort"] = InternalPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return settings;
    }

    [Theory]
    [InlineData("Production", "POST", "/v1/session", null, StatusCodes.Status401Unauthorized, "/v1/session")]
    [InlineData("Production", "DELETE", "/v1/account", null, StatusCodes.Status401Unauthorized, "/v1/account")]
    [InlineData("Production", "POST", "/v1/push/registrations", null, StatusCodes.Status401Unauthorized, "/v1/push/registrations/")]
    [InlineData("Production", "DELETE", "/v1/push/registrations/AAAAAAAAAAAAAAAAAAAAAA", null, StatusCodes.Status401Unauthorized, "/v1/push/registrations/{node}")]
    [InlineData("Development", "POST", "/dev/token", "{}", StatusCodes.Status400BadRequest, "/dev/token")]
    public async Task PublicEndpoint_OverBurst_Returns429WithRetryAfterAndReason(
        string environment, string method, string path, string? jsonBody, int normalStatus, string route)
    {
        // Arrange
        await using var factory = new AuthBridgeFactory(environment, settings: LowLimit());
        using var refusals = new MetricCollector<long>(factory.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            AuthBridgeMetrics.Name, "commeazy.auth.rate_limited");

        // Act
        var answers = await SendUntilRefusedAsync(factory, () => Request(method, path, Client, body: jsonBody));

        // Assert: the burst gets the endpoint's own answer, then a 429 with when to come back and why.
        Assert.All(answers.Take(Burst), a => Assert.Equal(normalStatus, a.Status));
        var refused = answers[^1];
        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.Status);
        Assert.InRange(int.Parse(refused.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.Equal(ApiProblems.TooManyRequestsTitle, refused.Problem.GetProperty("title").GetString());
        Assert.Equal($"more than {Burst} requests at once or 1 per second from this address", refused.Problem.GetProperty("detail").GetString());
        var counted = Assert.Single(refusals.GetMeasurementSnapshot());
        Assert.Equal(route, counted.Tags[AuthBridgeMetrics.RouteAttribute]);
    }

    [Fact]
    public async Task Defaults_Allow30ThenRefuse()
    {
        // Arrange: the shipped defaults (30 at once, 10 per second).
        await using var factory = new AuthBridgeFactory("Production");
        var defaults = factory.Services.GetRequiredService<IOptions<AuthBridgeOptions>>().Value;

        // Act: at 10 per second, 100 requests past the burst take 10 s.
        var answers = await SendUntilRefusedAsync(factory, () => Request("POST", "/v1/session", Client), burst: 30, slack: 100);

        // Assert
        Assert.Equal((30, 10), (defaults.RequestBurstPerAddress, defaults.RequestsPerSecondPerAddress));
        Assert.All(answers.Take(30), a => Assert.Equal(StatusCodes.Status401Unauthorized, a.Status));
        Assert.Equal(StatusCodes.Status429TooManyRequests, answers[^1].Status);
        Assert.Equal("1", answers[^1].RetryAfter);
    }

    [Fact]
    public async Task OtherAddress_IsUnaffected()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Production", settings: LowLimit());
        await SendUntilRefusedAsync(factory, () => Request("POST", "/v1/session", Client));

        // Act
        var other = await SendAsync(factory, Request("POST", "/v1/session", IPAddress.Parse("192.0.2.11")));
        var otherV6Network = await SendAsync(factory, Request("POST", "/v1/session", IPAddress.Parse("2001:db8:0:2::1")));

        // Assert
        Assert.Equal(StatusCodes.Status401Unauthorized, other.Status);
        Assert.Equal(StatusCodes.Status401Unauthorized, otherV6Network.Status);
    }

    [Fact]
    public async Task BehindTrustedProxy_EachForwardedAddressHasItsOwnBucket()
    {
        // Arrange: the load balancer in front is 10.0.0.0/8.
        await using var factory = new AuthBridgeFactory("Production", settings: LowLimit(("AuthBridge:TrustedProxies:0", "10.0.0.0/8")));
        var proxy = IPAddress.Parse("10.1.2.3");
        await SendUntilRefusedAsync(factory, () => Request("POST", "/v1/session", proxy, forwardedFor: "203.0.113.7"));

        // Act
        var otherClient = await SendAsync(factory, Request("POST", "/v1/session", proxy, forwardedFor: "203.0.113.8"));
        var sameClientOtherProxy = await SendAsync(factory, Request("POST", "/v1/session", IPAddress.Parse("10.9.9.9"), forwardedFor: "203.0.113.7"));

        // Assert: the client behind the proxy is limited, not the proxy.
        Assert.Equal(StatusCodes.Status401Unauthorized, otherClient.Status);
        Assert.Equal(StatusCodes.Status429TooManyRequests, sameClientOtherProxy.Status);
    }

    [Fact]
    public async Task UntrustedSender_RotatingForwardedFor_IsStillLimited()
    {
        // Arrange: a proxy is trusted, but this sender is not it.
        await using var factory = new AuthBridgeFactory("Production", settings: LowLimit(("AuthBridge:TrustedProxies:0", "10.0.0.1")));
        var n = 0;

        // Act
        var answers = await SendUntilRefusedAsync(factory, () => Request("POST", "/v1/session", Client, forwardedFor: $"203.0.113.{++n}"));

        // Assert
        Assert.Equal(StatusCodes.Status429TooManyRequests, answers[^1].Status);
    }

    [Fact]
    public async Task NoTrustedProxy_RotatingForwardedFor_IsStillLimited()
    {
        // Arrange: the default, no proxy trusted (ASP.NET Core would believe everybody if it were given empty lists).
        await using var factory = new AuthBridgeFactory("Production", settings: LowLimit());
        var n = 0;

        // Act
        var answers = await SendUntilRefusedAsync(factory, () => Request("POST", "/v1/session", Client, forwardedFor: $"203.0.113.{++n}"));

        // Assert
        Assert.Equal(StatusCodes.Status429TooManyRequests, answers[^1].Status);
    }

    [Fact]
    public async Task InternalPort_IsNeverLimited()
    {
        // Arrange: this address has used up its public requests.
        await using var factory = new AuthBridgeFactory("Production", settings: LowLimit());
        await SendUntilRefusedAsync(factory, () => Request("POST", "/v1/session", Client));

        // Act
        var alive = new List<Answer>();
        for (var i = 0; i < Burst + Slack; i++)
        {
            alive.Add(await SendAsync(factory, Request("GET", "/alive", Client, localPort: InternalPort)));
        }
        var health = await SendAsync(factory, Request("GET", "/health", Client, localPort: InternalPort));
        var metrics = await SendAsync(factory, Request("GET", "/metrics", Client, localPort: InternalPort));

        // Assert: liveness, the health report (unhealthy here: the database is a closed port) and the refusal counter.
        Assert.All(alive, a => Assert.Equal(StatusCodes.Status200OK, a.Status));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, health.Status);
        Assert.Equal(StatusCodes.Status200OK, metrics.Status);
        Assert.Contains("commeazy_auth_rate_limited", metrics.Body);
    }

    [Fact]
    public async Task Refusal_IsLoggedAtDebugWithoutTheToken()
    {
        // Arrange
        // Malformed, so it is refused at once (a well-formed one would wait for signing keys from a closed port).
        const string token = "rate-limit-canary-c2lnbmF0dXJlLWNhbmFyeQ";
        await using var factory = new AuthBridgeFactory("Production", settings: LowLimit(), configureServices: services =>
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddFakeLogging()));

        // Act
        await SendUntilRefusedAsync(factory, () => Request("POST", "/v1/session", Client, bearer: token));

        // Assert
        var logs = factory.Services.GetFakeLogCollector().GetSnapshot();
        var refusal = Assert.Single(logs, r => r.Id.Name == "RequestRateLimited");
        Assert.Equal(LogLevel.Debug, refusal.Level);
        Assert.Contains("/v1/session", refusal.Message);
        Assert.All(logs, r => Assert.DoesNotContain("c2lnbmF0dXJlLWNhbmFyeQ", r.Message + r.Exception));
    }

    [Theory]
    [InlineData("AuthBridge:RequestBurstPerAddress", "0", "RequestBurstPerAddress")]
    [InlineData("AuthBridge:RequestsPerSecondPerAddress", "0", "RequestsPerSecondPerAddress")]
    [InlineData("AuthBridge:TrustedProxies:0", "10.0.0.0/33", "'10.0.0.0/33'")]
    [InlineData("AuthBridge:TrustedProxies:0", "proxy.example", "'proxy.example'")]
    public async Task Startup_BadRateLimitSetting_Fails(string key, string value, string named)
    {
        // Act
        var failure = await AuthBridgeFactory.StartupFailureAsync("Production", settings: new Dictionary<string, string?> { [key] = value });

        // Assert
        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Equal(typeof(AuthBridgeOptions), validation.OptionsType);
        Assert.Contains(validation.Failures, f => f.Contains(named, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::")]
    public void PartitionKey_IPv4AsIsAndIPv6By64(string address, string expected)
    {
        // Act
        var key = ClientRateLimit.PartitionKey(IPAddress.Parse(address));

        // Assert
        Assert.Equal(IPAddress.Parse(expected), key);
    }

    private sealed record Answer(int Status, string? RetryAfter, string? ContentType, string Body)
    {
        public JsonElement Problem => JsonDocument.Parse(Body).RootElement;
    }

    /// <summary>Sends requests one after the other until one is refused (at most <paramref name="burst"/> + <paramref name="slack"/>).</summary>
    private static async Task<List<Answer>> SendUntilRefusedAsync(AuthBridgeFactory factory, Func<Action<HttpContext>> request,
        int burst = Burst, int slack = Slack)
    {
        var answers = new List<Answer>();
        while (answers.Count < burst + slack)
        {
            answers.Add(await SendAsync(factory, request()));
            if (answers[^1].Status == StatusCodes.Status429TooManyRequests)
            {
                return answers;
            }
        }
        Assert.Fail($"no 429 in {answers.Count} requests from one address (answers: {string.Join(", ", answers.Select(a => a.Status))})");
        return answers;
    }

    private static async Task<Answer> SendAsync(AuthBridgeFactory factory, Action<HttpContext> request)
    {
        var context = await factory.Server.SendAsync(request, Ct);
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync(Ct);
        return new Answer(context.Response.StatusCode, context.Response.Headers.RetryAfter.FirstOrDefault(), context.Response.ContentType?.Split(';')[0], body);
    }

    /// <summary>A request as it arrives from <paramref name="remote"/> on <paramref name="localPort"/>, with what the test puts in it.</summary>
    private static Action<HttpContext> Request(string method, string path, IPAddress remote, string? forwardedFor = null,
        string? body = null, string? bearer = null, int localPort = PublicPort) => context =>
    {
        context.Request.Method = method;
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = remote;
        context.Connection.LocalPort = localPort;
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }
        if (bearer is not null)
        {
            context.Request.Headers.Authorization = $"Bearer {bearer}";
        }
        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }
    };
}
