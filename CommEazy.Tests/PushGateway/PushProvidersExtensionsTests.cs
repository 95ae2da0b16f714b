using System.Security.Cryptography;
using CommEazy.PushGateway.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommEazy.Tests.PushGateway;

/// <summary>Which providers <c>AddPushProviders</c> registers, and that bad options stop the service at startup.</summary>
public sealed class PushProvidersExtensionsTests
{
    [Fact]
    public async Task AddPushProviders_NoPushSections_RegistersNoProviderAndSaysSo()
    {
        // Arrange
        await using var host = await PushTestHost.StartAsync(new Dictionary<string, string?>(), new OffsetTimeProvider());

        // Act
        var providers = host.Services.GetServices<IPushProvider>();

        // Assert
        Assert.Empty(providers);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 3002 && r.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task AddPushProviders_BothSectionsConfigured_RegistersBothAndLogsThemOnce()
    {
        // Arrange
        await using var apns = await ApnsTestBed.StartAsync();
        await using var fcm = await FcmTestBed.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Push:Apns:KeyId"] = ApnsTestBed.KeyId,
            ["Push:Apns:TeamId"] = ApnsTestBed.TeamId,
            ["Push:Apns:PrivateKey"] = apns.Key.ExportPkcs8PrivateKeyPem(),
            ["Push:Fcm:ServiceAccountJson"] = fcm.Fcm.ServiceAccountJson(fcm.Key),
        };

        // Act
        await using var host = await PushTestHost.StartAsync(settings, new OffsetTimeProvider());

        // Assert
        Assert.Equal(["apns", "fcm"], host.Services.GetServices<IPushProvider>().Select(p => p.Name));
        var enabled = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == 3001);
        Assert.Equal("Push providers enabled: apns, fcm", enabled.Message);
        Assert.True(host.Router.IsEnabled(PushPlatform.ApnsVoip));
    }

    [Fact]
    public async Task AddPushProviders_ApnsKeyNotP256_FailsAtStartupWithoutEchoingKey()
    {
        // Arrange
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportPkcs8PrivateKeyPem();
        await using var host = PushTestHost.Build(new Dictionary<string, string?>
        {
            ["Push:Apns:KeyId"] = ApnsTestBed.KeyId,
            ["Push:Apns:TeamId"] = ApnsTestBed.TeamId,
            ["Push:Apns:PrivateKey"] = pem,
        }, new OffsetTimeProvider());

        // Act
        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartHostAsync);

        // Assert
        Assert.Contains("Push:Apns:PrivateKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPushProviders_FcmKeyFileNotAServiceAccount_FailsAtStartup()
    {
        // Arrange
        await using var host = PushTestHost.Build(new Dictionary<string, string?>
        {
            ["Push:Fcm:ServiceAccountJson"] = """{"type":"authorized_user","client_id":"x"}""",
        }, new OffsetTimeProvider());

        // Act
        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartHostAsync);

        // Assert
        Assert.Contains("Push:Fcm:ServiceAccountJson", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPushProviders_RefreshAgeOverAnHour_FailsAtStartup()
    {
        // Arrange
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var host = PushTestHost.Build(new Dictionary<string, string?>
        {
            ["Push:Apns:KeyId"] = ApnsTestBed.KeyId,
            ["Push:Apns:TeamId"] = ApnsTestBed.TeamId,
            ["Push:Apns:PrivateKey"] = key.ExportPkcs8PrivateKeyPem(),
            ["Push:Apns:ProviderTokenRefreshAfter"] = "01:10:00",
        }, new OffsetTimeProvider());

        // Act
        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartHostAsync);

        // Assert
        Assert.Contains("ProviderTokenRefreshAfter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPushProviders_UnknownApnsSetting_FailsAtStartup()
    {
        // Arrange
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var host = PushTestHost.Build(new Dictionary<string, string?>
        {
            ["Push:Apns:KeyId"] = ApnsTestBed.KeyId,
            ["Push:Apns:TeamId"] = ApnsTestBed.TeamId,
            ["Push:Apns:PrivateKey"] = key.ExportPkcs8PrivateKeyPem(),
            ["Push:Apns:TrustServerCertificate"] = "true",
        }, new OffsetTimeProvider());

        // Act
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(host.StartHostAsync);

        // Assert
        Assert.Contains("TrustServerCertificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_PlatformWithoutProvider_ReturnsTemporaryFailure()
    {
        // Arrange
        await using var bed = await ApnsTestBed.StartAsync();
        var request = FcmTestBed.Request(FcmTestBed.NewDeviceToken());

        // Act
        var result = await bed.Host.Router.SendAsync(request, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(CommEazy.PushGateway.PushOutcome.TemporaryFailure, result.Outcome);
        Assert.Equal("provider_not_configured", result.Reason);
    }

    [Fact]
    public void PushRequest_ToString_ShowsTokenHashNotToken()
    {
        // Arrange
        var token = ApnsTestBed.NewDeviceToken();
        var request = ApnsTestBed.Request(token);

        // Act
        var text = request.ToString();

        // Assert
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.Contains(TokenHash.Of(token), text, StringComparison.Ordinal);
    }
}
