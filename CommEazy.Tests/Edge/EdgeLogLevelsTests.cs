using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommEazy.Tests.Edge;

/// <summary>
/// The Edge's default log levels (its appsettings.json): YARP and ASP.NET Core request logging say nothing at
/// Information (proxied URLs carry the user key <c>u</c>; a health probe runs every 5 s) but still report warnings.
/// </summary>
public sealed class EdgeLogLevelsTests
{
    [Theory]
    [InlineData("Yarp.ReverseProxy.Forwarder.HttpForwarder")]
    [InlineData("Yarp.ReverseProxy.Health.ActiveHealthCheckMonitor")]
    [InlineData("Microsoft.AspNetCore.Hosting.Diagnostics")]
    [InlineData("Microsoft.AspNetCore.Routing.EndpointMiddleware")]
    public async Task DefaultLevels_ProxyAndRequestCategories_WarningsOnly(string category)
    {
        // Arrange
        await using var edge = new EdgeFactory();
        var logger = edge.Services.GetRequiredService<ILoggerFactory>().CreateLogger(category);

        // Act
        var information = logger.IsEnabled(LogLevel.Information);
        var warning = logger.IsEnabled(LogLevel.Warning);

        // Assert
        Assert.False(information, $"{category} logs at Information");
        Assert.True(warning, $"{category} warnings are hidden");
    }

    [Fact]
    public async Task DefaultLevels_EdgeOwnCategory_Information()
    {
        // Arrange
        await using var edge = new EdgeFactory();

        // Act
        var enabled = edge.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CommEazy.Edge.Program").IsEnabled(LogLevel.Information);

        // Assert
        Assert.True(enabled);
    }

    /// <summary>The real Edge Program in memory, in Production, with one node on a closed loopback port.</summary>
    private sealed class EdgeFactory : WebApplicationFactory<CommEazy.Edge.EdgeOptions>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("Edge:PublicWebSocketUrl", "ws://localhost:8080/xmpp-websocket");
            builder.UseSetting("Edge:PublicPort", "8080");
            builder.UseSetting("Edge:Nodes:0:Id", "prosody-1");
            builder.UseSetting("Edge:Nodes:0:Address", "http://127.0.0.1:1");
            // Membership is read from here; nothing answers, which this test does not need.
            builder.UseSetting("ConnectionStrings:prosody", "Host=127.0.0.1;Port=1;Username=edge;Password=unused;Database=prosody");
        }
    }
}
