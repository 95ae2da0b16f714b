using CommEazy.AuthBridge;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CommEazy.Tests.AuthBridge.Fakes;

/// <summary>
/// The real AuthBridge Program in memory, in the given environment. Its database is a closed port on
/// loopback (so provisioning meets a refused connection) and its key URL is never reachable.
/// </summary>
internal sealed class AuthBridgeFactory(string environment, bool devTokensEnabled = true, string passwordKey = AuthBridgeFactory.PasswordKey,
    string routingKey = AuthBridgeFactory.RoutingKey, Action<IServiceCollection>? configureServices = null,
    IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<AuthBridgeMetrics> // any type of the AuthBridge assembly names its entry point
{
    public const string PasswordKey = "test-password-key-0123456789abcdef0123456789";
    public const string RoutingKey = "test-routing-key-0123456789abcdef0123456789";

    /// <summary>
    /// Starts the AuthBridge's services (<c>AddServiceDefaults</c> and <c>AddAuthBridgeServices</c>, as Program does)
    /// on the calling thread and returns why the start failed, or <see langword="null"/> if it did not. Startup
    /// failures are not tested through the factory: Program runs on a thread of its own there, and when its start
    /// fails it disposes its services, which the factory's deferred host may read only afterwards
    /// (ObjectDisposedException instead of the real failure, on a loaded machine).
    /// </summary>
    public static async Task<Exception?> StartupFailureAsync(string environment, string passwordKey = PasswordKey, string routingKey = RoutingKey,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ApplicationName = typeof(AuthBridgeMetrics).Assembly.GetName().Name,
        });
        builder.Configuration.AddInMemoryCollection(Settings(devTokensEnabled: true, passwordKey, routingKey, settings));
        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults();
        builder.AddAuthBridgeServices();
        await using var app = builder.Build();
        try
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch (Exception e)
        {
            return e;
        }
        await app.StopAsync(CancellationToken.None);
        return null;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (name, value) in Settings(devTokensEnabled, passwordKey, routingKey, settings))
        {
            builder.UseSetting(name, value);
        }
        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }

    /// <summary>The settings every test starts with, then <paramref name="overrides"/> (e.g. a low rate limit).</summary>
    private static Dictionary<string, string?> Settings(bool devTokensEnabled, string passwordKey, string routingKey,
        IReadOnlyDictionary<string, string?>? overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:prosody"] = "Host=127.0.0.1;Port=1;Database=prosody;Username=authbridge;Password=unused;Timeout=3",
            ["AuthBridge:PasswordKey"] = passwordKey,
            ["AuthBridge:XmppDomain"] = "commeazy.test",
            ["AuthBridge:WebSocketUrl"] = "ws://localhost:8080/xmpp-websocket",
            ["Cluster:RoutingKey"] = routingKey,
            ["Firebase:ProjectId"] = "commeazy-test",
            ["Push:ComponentJid"] = "push.commeazy.test",
            ["Firebase:KeysUrl"] = "http://127.0.0.1:1/jwks",
            ["DevTokens:Enabled"] = devTokensEnabled ? "true" : "false",
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }
        return settings;
    }
}
