using CommEazy.AuthBridge;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CommEazy.Tests.AuthBridge.Fakes;

/// <summary>
/// The real AuthBridge Program in memory, in the given environment. Its database is a closed port on
/// loopback (so provisioning meets a refused connection) and its key URL is never reachable.
/// </summary>
internal sealed class AuthBridgeFactory(string environment, bool devTokensEnabled = true, string passwordKey = AuthBridgeFactory.PasswordKey,
    string routingKey = AuthBridgeFactory.RoutingKey, Action<IServiceCollection>? configureServices = null)
    : WebApplicationFactory<AuthBridgeMetrics> // any type of the AuthBridge assembly names its entry point
{
    public const string PasswordKey = "test-password-key-0123456789abcdef0123456789";
    public const string RoutingKey = "test-routing-key-0123456789abcdef0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("ConnectionStrings:prosody", "Host=127.0.0.1;Port=1;Database=prosody;Username=authbridge;Password=unused;Timeout=3");
        builder.UseSetting("AuthBridge:PasswordKey", passwordKey);
        builder.UseSetting("AuthBridge:XmppDomain", "commeazy.test");
        builder.UseSetting("AuthBridge:WebSocketUrl", "ws://localhost:8080/xmpp-websocket");
        builder.UseSetting("Cluster:RoutingKey", routingKey);
        builder.UseSetting("Firebase:ProjectId", "commeazy-test");
        builder.UseSetting("Push:ComponentJid", "push.commeazy.test");
        builder.UseSetting("Firebase:KeysUrl", "http://127.0.0.1:1/jwks");
        builder.UseSetting("DevTokens:Enabled", devTokensEnabled ? "true" : "false");
        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }
}
