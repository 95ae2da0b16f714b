using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CommEazy.Tests.ServiceDefaults;

/// <summary>
/// Every service (through AddServiceDefaults) answers a request the framework cannot read with the right 4xx and a
/// problem detail saying why, in every environment, never a 500.
/// </summary>
public sealed class BadRequestHandlingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task MalformedJsonBody_Returns400ProblemWithReason(string environment)
    {
        // Arrange
        await using var app = await StartAsync(environment);
        using var content = new StringContent("""{"name":""", System.Text.Encoding.UTF8, "application/json");

        // Act
        using var response = await app.GetTestClient().PostAsync("/echo", content, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await ReadProblemAsync(response)).GetProperty("detail").GetString();
        Assert.StartsWith("The request body is not the JSON this endpoint expects", detail);
        Assert.Contains("line 1", detail);
        Assert.DoesNotContain(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task WrongJsonType_Returns400ProblemNamingWhere(string environment)
    {
        // Arrange
        await using var app = await StartAsync(environment);
        using var content = new StringContent("""{"name":42}""", System.Text.Encoding.UTF8, "application/json");

        // Act
        using var response = await app.GetTestClient().PostAsync("/echo", content, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await ReadProblemAsync(response)).GetProperty("detail").GetString();
        Assert.Contains("$.name", detail);
        Assert.DoesNotContain(typeof(Payload).FullName!, detail);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task NotJsonContentType_Returns415ProblemWithReason(string environment)
    {
        // Arrange
        await using var app = await StartAsync(environment);
        using var content = new StringContent("""{"name":"x"}""", System.Text.Encoding.UTF8, "text/plain");

        // Act
        using var response = await app.GetTestClient().PostAsync("/echo", content, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("must be JSON", (await ReadProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task UnparsableQueryValue_Returns400ProblemWithReason(string environment)
    {
        // Arrange
        await using var app = await StartAsync(environment);

        // Act
        using var response = await app.GetTestClient().GetAsync("/count?n=many", Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("many", (await ReadProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task UnhandledException_StillReturns500()
    {
        // Arrange
        await using var app = await StartAsync("Production");

        // Act
        using var response = await app.GetTestClient().GetAsync("/boom", Ct);

        // Assert: only the framework's bad-request exceptions are turned into 4xx; a real failure is still logged.
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    private static async Task<WebApplication> StartAsync(string environment)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults();
        builder.Logging.AddFakeLogging();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapPost("/echo", (Payload payload) => TypedResults.Ok(payload));
        app.MapGet("/count", (int n) => TypedResults.Ok(n));
        app.MapGet("/boom", IResult () => throw new InvalidOperationException("boom"));
        await app.StartAsync(Ct);
        return app;
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    internal sealed record Payload(string Name);
}
