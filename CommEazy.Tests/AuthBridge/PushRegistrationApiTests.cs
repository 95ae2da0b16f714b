using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CommEazy.AuthBridge.Push;
using CommEazy.Tests.AuthBridge.Fakes;

namespace CommEazy.Tests.AuthBridge;

/// <summary>
/// The push registration API's refusals, in memory: each bad input gets a clear error before anything could be
/// stored (the database is a closed port, so a request that got as far as storing would answer 503).
/// </summary>
public sealed class PushRegistrationApiTests
{
    private const string ApnsToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Register_NoToken_Returns401()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();

        // Act
        using var response = await client.PostAsJsonAsync("/v1/push/registrations", new { platform = "apns", token = ApnsToken, appId = "app.commeazy" }, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"platform":"webpush","token":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","appId":"app.commeazy"}""", "platform")]
    [InlineData("""{"platform":"apns","token":"not-hex-at-all-not-hex-at-all-xx","appId":"app.commeazy"}""", "token")]
    [InlineData("""{"platform":"apns","token":"0f1e","appId":"app.commeazy"}""", "token")]
    [InlineData("""{"platform":"apns","appId":"app.commeazy"}""", "token")]
    [InlineData("""{"platform":"fcm","token":"has spaces in it, which FCM never does","appId":"app.commeazy"}""", "token")]
    [InlineData("""{"platform":"apns","token":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","appId":"app_with_underscore"}""", "appId")]
    [InlineData("""{"platform":"apns","token":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}""", "appId")]
    [InlineData("""{"platform":"apns","token":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","appId":"app.commeazy","environment":"staging"}""", "environment")]
    [InlineData("""{"platform":"fcm","token":"abcdefghijklmnop:APA91b","appId":"app.commeazy","environment":"sandbox"}""", "environment")]
    [InlineData("""{"platform":"apns","token":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","appId":"app.commeazy","owner":"someone.else@commeazy.test"}""", "body")]
    [InlineData("""{"platform":"apns","token":12345,"appId":"app.commeazy"}""", "body")]
    [InlineData("""[1,2,3]""", "body")]
    [InlineData("""not json""", "body")]
    [InlineData("""null""", "body")]
    public async Task Register_BadInput_Returns400NamingTheField(string json, string field)
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        var idToken = await DevTokenAsync(client);

        // Act
        using var response = await SendAsync(client, HttpMethod.Post, "/v1/push/registrations", idToken,
            new StringContent(json, Encoding.UTF8, "application/json"));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var messages = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.NotEmpty(messages);
        Assert.All(messages, m => Assert.DoesNotContain("someone.else", m));
        Assert.All(messages, m => Assert.DoesNotContain("CommEazy.AuthBridge", m)); // no type names
    }

    [Fact]
    public async Task Register_UnknownMember_SaysWhichMember()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        var idToken = await DevTokenAsync(client);

        // Act
        using var response = await SendAsync(client, HttpMethod.Post, "/v1/push/registrations", idToken, JsonContent.Create(
            new { platform = "apns", token = ApnsToken, appId = "app.commeazy", owner = "someone.else@commeazy.test" }));

        // Assert
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("unknown member", problem.GetProperty("errors").GetProperty("body")[0].GetString());
    }

    [Fact]
    public async Task Register_BodyOver8KiB_Returns413()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        var idToken = await DevTokenAsync(client);

        // Act
        using var response = await SendAsync(client, HttpMethod.Post, "/v1/push/registrations", idToken,
            JsonContent.Create(new { platform = "fcm", token = new string('a', 9000), appId = "app.commeazy" }));

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Register_NotJson_Returns400()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        var idToken = await DevTokenAsync(client);

        // Act
        using var response = await SendAsync(client, HttpMethod.Post, "/v1/push/registrations", idToken,
            new StringContent("platform=apns", Encoding.UTF8, "application/x-www-form-urlencoded"));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Register_ValidButDatabaseDown_Returns503WithRetryAfter()
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        var idToken = await DevTokenAsync(client);

        // Act
        using var response = await SendAsync(client, HttpMethod.Post, "/v1/push/registrations", idToken,
            JsonContent.Create(new { platform = "apns", token = ApnsToken, appId = "app.commeazy", environment = "sandbox" }));

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("this-node-is-far-too-long-to-be-one-of-ours-0123456789")]
    [InlineData("bad+chars+in+node+xxxx")]
    public async Task Unregister_MalformedNode_Returns400(string node)
    {
        // Arrange
        await using var factory = new AuthBridgeFactory("Development");
        var client = factory.CreateClient();
        var idToken = await DevTokenAsync(client);

        // Act
        using var response = await SendAsync(client, HttpMethod.Delete, "/v1/push/registrations/" + Uri.EscapeDataString(node), idToken);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("node", out _));
    }

    [Fact]
    public void Validate_ApnsToken_IsLowercasedAndEnvironmentDefaultsToProduction()
    {
        // Act
        var device = PushRegistrationValidator.Validate(new PushRegistrationRequest("apns-voip", ApnsToken.ToUpperInvariant(), "app.commeazy", null), out var errors);

        // Assert
        Assert.Empty(errors);
        Assert.Equal(new PushDevice("apns-voip", ApnsToken, "app.commeazy", "production"), device);
    }

    private static async Task<string> DevTokenAsync(HttpClient client)
    {
        using var issued = await client.PostAsJsonAsync("/dev/token", new { uid = "PushUser1", phoneNumber = "+31612345678" }, Ct);
        return (await issued.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("idToken").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string idToken, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", idToken);
        return await client.SendAsync(request, Ct);
    }
}
