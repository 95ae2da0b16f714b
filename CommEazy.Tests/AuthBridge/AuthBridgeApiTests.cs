using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CommEazy.AuthBridge;
using CommEazy.AuthBridge.DevTokens;
using CommEazy.AuthBridge.Firebase;
using CommEazy.Tests.AuthBridge.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommEazy.Tests.AuthBridge;

/// <summary>The HTTP contract of the real Program, in memory (no database, no network).</summary>
public sealed class AuthBridgeApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, "missing bearer token")]
    [InlineData("Basic dXNlcjpwYXNz", "malformed authorization header")]
    [InlineData("Bearer ", "missing bearer token")]
    [InlineData("Bearer not.a.jwt!", "malformed token")]
    [InlineData("Bearer garbage", "malformed token")]
    public async Task PostSession_BadAuthorization_Returns401WithReason(string? authorization, string expectedDetail)
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Production");
        var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/session");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        // Act
        using var response = await client.SendAsync(request, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
        var problem = await ReadProblemAsync(response);
        Assert.Equal("Firebase ID token rejected", problem.GetProperty("title").GetString());
        Assert.Equal(expectedDetail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task PostSession_AuthorizationOver8KiB_Returns401BeforeParsing()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Production");
        var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/session");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('a', 9 * 1024));

        // Act
        using var response = await client.SendAsync(request, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authorization header too large", (await ReadProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task DeleteAccount_NoToken_Returns401()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Production");
        var client = factory.CreateClient();

        // Act
        using var response = await client.DeleteAsync("/v1/account", Ct);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("missing bearer token", (await ReadProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task DevToken_ProductionEvenWhenEnabled_DoesNotExist()
    {
        // Arrange: DevTokens:Enabled = true must not matter outside Development.
        await using var factory = new AuthBridgeFactory("Production", devTokensEnabled: true);
        var client = factory.CreateClient();

        // Act
        using var token = await client.PostAsJsonAsync("/dev/token", new { uid = "u1", phoneNumber = "+31612345678" }, Ct);
        using var keys = await client.GetAsync("/dev/keys", Ct);

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, keys.StatusCode);
        Assert.Null(factory.Services.GetService(typeof(CommEazy.AuthBridge.DevTokens.DevTokenIssuer)));
    }

    [Fact]
    public async Task DevToken_DevelopmentButNotEnabled_DoesNotExist()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development", devTokensEnabled: false);
        var client = factory.CreateClient();

        // Act
        using var response = await client.PostAsJsonAsync("/dev/token", new { uid = "u1", phoneNumber = "+31612345678" }, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("", "+31612345678", "uid")]
    [InlineData("u1", "0612345678", "phoneNumber")]
    [InlineData("u1", "+1234567", "phoneNumber")]
    [InlineData("u1", "+1234567890123456", "phoneNumber")]
    [InlineData("u1", "+31612345678\n", "phoneNumber")]
    public async Task DevToken_InvalidRequest_Returns400ValidationProblem(string uid, string phoneNumber, string invalidField)
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();

        // Act
        using var response = await client.PostAsJsonAsync("/dev/token", new { uid, phoneNumber }, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ReadProblemAsync(response)).GetProperty("errors").TryGetProperty(invalidField, out _));
    }

    public static TheoryData<string> MalformedJsonBodies => new()
    {
        """{"uid":""",
        "hello",
        "[]",
        """{"uid":123}""",
        """{"uid":"\ud800","phoneNumber":"+31612345678"}""",
        """{"uid":""" + string.Concat(Enumerable.Repeat("""{"a":""", 200)) + "1" + new string('}', 201),
        new string('[', 10_000),
    };

    [Theory]
    [MemberData(nameof(MalformedJsonBodies))]
    public async Task DevToken_MalformedJson_Returns400ProblemWithReason(string body)
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        // Act
        using var response = await client.PostAsync("/dev/token", content, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ReadProblemAsync(response);
        Assert.StartsWith("The request body is not the JSON this endpoint expects", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("DevTokenRequest", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task DevToken_NotJsonContentType_Returns415ProblemWithReason()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        using var content = new StringContent("""{"uid":"u1","phoneNumber":"+31612345678"}""", System.Text.Encoding.UTF8, "text/plain");

        // Act
        using var response = await client.PostAsync("/dev/token", content, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("must be JSON", (await ReadProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task DevToken_Development_IssuesFirebaseShapedTokenTheSessionApiAccepts()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();

        // Act
        using var issued = await client.PostAsJsonAsync("/dev/token", new { uid = "DevUser1", phoneNumber = "+31612345678" }, Ct);
        var idToken = (await issued.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("idToken").GetString()!;
        var jwks = await client.GetFromJsonAsync<JsonElement>("/dev/keys", Ct);
        using var session = new HttpRequestMessage(HttpMethod.Post, "/v1/session");
        session.Headers.Authorization = new AuthenticationHeaderValue("Bearer", idToken);
        using var response = await client.SendAsync(session, Ct);

        // Assert: the token passes every check and provisioning meets the closed database port.
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(idToken);
        Assert.Equal("RS256", jwt.Alg);
        Assert.StartsWith("commeazy-dev-", jwt.Kid);
        Assert.Equal(jwt.Kid, jwks.GetProperty("keys")[0].GetProperty("kid").GetString());
        Assert.Equal("https://securetoken.google.com/commeazy-test", jwt.Issuer);
        Assert.Equal("DevUser1", jwt.GetPayloadValue<string>("user_id"));
        Assert.Equal("phone", jwt.GetPayloadValue<JsonElement>("firebase").GetProperty("sign_in_provider").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("Service temporarily unavailable", (await ReadProblemAsync(response)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task PostSession_DevelopmentWithStaleDevToken_Returns401AndNeverFetchesGoogleKeys()
    {
        // Arrange: a token signed by the dev key of an earlier run (e.g. before an AppHost restart).
        var keys = new StubKeysHandler();
        await using var factory = new AuthBridgeFactory("Development", configureServices: services =>
            services.AddHttpClient(SigningKeySource.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => keys));
        var client = factory.CreateClient();
        using var earlierRun = new DevTokenIssuer(Options.Create(new FirebaseOptions { ProjectId = "commeazy-test" }), TimeProvider.System);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/session");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", earlierRun.Issue("DevUser1", "+31612345678"));

        // Act
        using var response = await client.SendAsync(request, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unknown signing key", (await ReadProblemAsync(response)).GetProperty("detail").GetString());
        Assert.Equal(0, keys.Requests);
    }

    [Fact]
    public async Task UnknownPath_Returns404ProblemDetails()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Production");
        var client = factory.CreateClient();

        // Act
        using var response = await client.GetAsync("/v1/nothing-here", Ct);

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Startup_PasswordKeyTooShort_Fails()
    {
        // Act
        var failure = await AuthBridgeFactory.StartupFailureAsync("Production", passwordKey: "short");

        // Assert
        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Equal(typeof(AuthBridgeOptions), validation.OptionsType);
        Assert.Contains(validation.Failures, f => f.Contains("PasswordKey", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("too-short-routing-key")]
    [InlineData("                                        ")]
    public async Task Startup_RoutingKeyMissingOrTooShort_Fails(string routingKey)
    {
        // Act
        var failure = await AuthBridgeFactory.StartupFailureAsync("Production", routingKey: routingKey);

        // Assert
        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Equal(typeof(ClusterOptions), validation.OptionsType);
        Assert.Contains(validation.Failures, f => f.Contains("RoutingKey", StringComparison.Ordinal));
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }
}
