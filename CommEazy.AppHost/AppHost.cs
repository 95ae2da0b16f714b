// CommEazy: apps ──ws──> edge ──ws──> prosody-N ──sql──> postgres <──sql── authbridge <──https── apps
//           prosody-N <──XEP-0114── pushgateway ──https──> APNs / FCM
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.Configuration.GetSection("CommEazy");

// Parameters and secrets (secrets are generated for local runs and kept in the AppHost's user secrets).
var xmppDomain = builder.AddParameter("xmpp-domain");
var firebaseProjectId = builder.AddParameter("firebase-project-id");
var passwordKey = builder.AddParameter("password-derivation-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
// The key behind every user key `u` (which node is a user's home); shared by the AuthBridge, the Edge and the nodes.
var routingKey = builder.AddParameter("cluster-routing-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
// The push gateway's XEP-0114 handshake secret; the gateway is the same component, push.<domain>, on every node.
var pushComponentSecret = builder.AddParameter("push-component-secret",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
var pushComponentJid = ReferenceExpression.Create($"push.{xmppDomain}");

// Infrastructure: one database shared by every Prosody node (accounts, rosters, PEP; never messages).
var postgres = builder.AddPostgres("postgres").WithCommEazyImage().WithDataVolume("commeazy-postgres-data");
var prosodyDb = postgres.AddDatabase("prosody");
var prosodyNodes = builder.AddProsodyNodes(settings.GetValue("ProsodyNodes", 1), prosodyDb, xmppDomain)
    .WithPushComponent(pushComponentJid, pushComponentSecret);

// Services
var edgePort = settings.GetValue("EdgePort", 8080);
// What apps are told to connect to; behind a TLS terminator or on a LAN, set CommEazy:PublicWebSocketUrl.
var publicWebSocketUrl = settings["PublicWebSocketUrl"] ?? $"ws://localhost:{edgePort}/xmpp-websocket";
var authBridge = builder.AddProject<Projects.CommEazy_AuthBridge>("authbridge")
    .WithPublicAndInternalEndpoints(settings.GetValue("AuthBridgePort", 8090))
    .WithHostEnvironment(builder)
    .WithReference(prosodyDb)
    .WithEnvironment("AuthBridge__XmppDomain", xmppDomain)
    .WithEnvironment("AuthBridge__WebSocketUrl", publicWebSocketUrl)
    .WithEnvironment("AuthBridge__PasswordKey", passwordKey)
    .WithEnvironment("Cluster__RoutingKey", routingKey)
    .WithEnvironment("Firebase__ProjectId", firebaseProjectId)
    .WithEnvironment("Push__ComponentJid", pushComponentJid)
    // The account table is created by Prosody when it first starts.
    .WaitFor(prosodyNodes[0]);
if (builder.ExecutionContext.IsRunMode && builder.Environment.IsDevelopment())
{
    authBridge.WithEnvironment("DevTokens__Enabled", "true");
}

builder.AddProject<Projects.CommEazy_PushGateway>("pushgateway")
    .WithHttpEndpoint(name: "internal")
    .WithHttpHealthCheck("/health", endpointName: "internal")
    .WithHostEnvironment(builder)
    .WithReference(prosodyDb)
    .WithComponentLinks(prosodyNodes, pushComponentJid, pushComponentSecret, xmppDomain)
    // APNs / FCM only where the AppHost's Push section configures them (README: "Push").
    .WithPushProviders(builder)
    // The AuthBridge creates the registrations table the gateway reads.
    .WaitFor(authBridge);

// Edge: the only public entry for XMPP.
builder.AddProject<Projects.CommEazy_Edge>("edge")
    .WithPublicAndInternalEndpoints(edgePort)
    .WithHttpsEndpointWhereDevCertificateExists(settings.GetValue("EdgeHttpsPort", 8443), "Edge__PublicHttpsPort")
    .WithHostEnvironment(builder)
    .WithEnvironment("Edge__PublicPort", edgePort.ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithEnvironment("Edge__PublicWebSocketUrl", publicWebSocketUrl)
    .WithProsodyNodes(prosodyNodes);

builder.Build().Run();
