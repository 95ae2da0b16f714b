using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace CommEazy.Tests.Operations;

/// <summary>
/// The service defaults' HttpClient tracing, as a push trace (PushGateway → APNs) would export it: the span of a call to
/// APNs' <c>/3/device/&lt;token&gt;</c> keeps the provider and path shape, never the device token.
/// </summary>
public sealed class PushTraceRedactionTests
{
    [Fact]
    public async Task ApnsRequestSpan_HasNoDeviceToken()
    {
        // Arrange: a host with CommEazy's telemetry and an exporter the test reads.
        var exported = new List<Activity>();
        var builder = Host.CreateApplicationBuilder();
        builder.ConfigureOpenTelemetry();
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(exported));
        builder.Services.AddHttpClient();
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        // Act: the request APNs gets (here to a closed loopback port: the span is recorded all the same).
        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync($"http://127.0.0.1:9/3/device/{token}", new StringContent("{}"), TestContext.Current.CancellationToken));
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        await host.StopAsync(TestContext.Current.CancellationToken);

        // Assert
        var span = Assert.Single(exported, a => a.Kind == ActivityKind.Client && a.GetTagItem("url.full") is not null);
        Assert.Equal("http://127.0.0.1:9/3/device/{token}", span.GetTagItem("url.full"));
        Assert.DoesNotContain(exported.SelectMany(a => a.TagObjects), t => t.Value?.ToString()?.Contains(token, StringComparison.Ordinal) == true);
        Assert.DoesNotContain(exported, a => a.DisplayName.Contains(token, StringComparison.Ordinal));
    }
}
