using CommEazy.PushGateway.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CommEazy.Tests.PushGateway;

/// <summary>The component configuration is checked at startup, and a gateway without providers says it delivers nothing.</summary>
public sealed class ComponentOptionsTests
{
    [Theory]
    [InlineData("Push:Component:Nodes:0:Address", "http://127.0.0.1:5347", "tcp://host:port")]
    [InlineData("Push:Component:Nodes:0:Address", "tcp://127.0.0.1", "tcp://host:port")]
    [InlineData("Push:Component:Nodes:1:Id", "prosody-1", "more than once")]
    [InlineData("Push:Component:Secret", "short", "Secret")]
    [InlineData("Push:Component:Secret", "a secret with spaces in it", "printable ASCII")]
    [InlineData("Push:Component:Jid", "Push.CommEazy.Test", "lowercase DNS name")]
    [InlineData("Push:Component:XmppDomain", "", "XmppDomain")]
    public async Task Startup_BadComponentSetting_FailsNamingIt(string key, string value, string expected)
    {
        // Arrange
        var settings = new Dictionary<string, string?>
        {
            ["Push:Component:Jid"] = ComponentTestBed.Jid,
            ["Push:Component:Secret"] = ComponentTestBed.Secret,
            ["Push:Component:XmppDomain"] = ComponentTestBed.Domain,
            ["Push:Component:Nodes:0:Id"] = "prosody-1",
            ["Push:Component:Nodes:0:Address"] = "tcp://127.0.0.1:5347",
            ["Push:Component:Nodes:1:Address"] = "tcp://127.0.0.1:5348",
            ["Push:Component:Nodes:1:Id"] = "prosody-2",
            [key] = value,
        };
        await using var host = PushTestHost.Build(settings, TimeProvider.System, extend: b =>
        {
            b.Services.AddSingleton<CommEazy.PushGateway.Registrations.IPushRegistrationStore>(new InMemoryPushRegistrationStore());
            b.AddComponentLinks();
        });

        // Act
        var failure = await Record.ExceptionAsync(host.StartHostAsync);

        // Assert
        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains(validation.Failures, f => f.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(validation.Failures, f => f.Contains(ComponentTestBed.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_NoProviderConfigured_DegradedAndSaysNothingIsDelivered()
    {
        // Arrange: neither Push:Apns nor Push:Fcm, as in a developer's dotnet run without keys.
        await using var host = await PushTestHost.StartAsync(new Dictionary<string, string?>(), TimeProvider.System, extend: b =>
            b.Services.AddHealthChecks().AddCheck<PushProvidersHealthCheck>(PushProvidersHealthCheck.Name));

        // Act
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        var providers = report.Entries[PushProvidersHealthCheck.Name];

        // Assert
        Assert.Equal(HealthStatus.Degraded, providers.Status);
        Assert.Contains("no push provider is configured", providers.Description);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 3002);
    }
}
