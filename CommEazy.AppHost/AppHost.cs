// CommEazy: apps ──ws──> edge ──ws──> prosody-N ──sql──> postgres <──sql── authbridge <──https── apps
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.Configuration.GetSection("CommEazy");

// Parameters and secrets (secrets are generated for local runs and kept in the AppHost's user secrets).
var xmppDomain = builder.AddParameter("xmpp-domain");
var firebaseProjectId = builder.AddParameter("firebase-project-id");
var passwordKey = builder.AddParameter("password-derivation-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
// The key behind every user key `u` (which node is a user's home); shared by the AuthBridge and the nodes.
var routingKey = builder.AddParameter("cluster-routing-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
// Authorises drain/undrain on a node's internal /cluster endpoint; shared by the nodes and the Edge.
var clusterAdminSecret = builder.AddParameter("cluster-admin-secret",
    new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// Infrastructure: one database shared by every Prosody node (accounts, rosters, PEP; never messages).
var postgres = builder.AddPostgres("postgres").WithCommEazyImage().WithDataVolume("commeazy-postgres-data");
var prosodyDb = postgres.AddDatabase("prosody");
var edgePort = settings.GetValue("EdgePort", 8080);
// What apps are told to connect to; behind a TLS terminator or on a LAN, set CommEazy:PublicWebSocketUrl.
var publicWebSocketUrl = settings["PublicWebSocketUrl"] ?? $"ws://localhost:{edgePort}/xmpp-websocket";
// The cluster: N nodes serving one domain, each user homed on one of them (DESIGN.md §3).
var prosodyNodes = builder.AddProsodyNodes(settings.GetValue("ProsodyNodes", 3), prosodyDb,
    new ProsodyClusterSettings(xmppDomain, routingKey, clusterAdminSecret, publicWebSocketUrl));

// Services
var authBridge = builder.AddProject<Projects.CommEazy_AuthBridge>("authbridge")
    .WithPublicAndInternalEndpoints(settings.GetValue("AuthBridgePort", 8090))
    .WithHostEnvironment(builder)
    .WithReference(prosodyDb)
    .WithEnvironment("AuthBridge__XmppDomain", xmppDomain)
    .WithEnvironment("AuthBridge__WebSocketUrl", publicWebSocketUrl)
    .WithEnvironment("AuthBridge__PasswordKey", passwordKey)
    .WithEnvironment("Cluster__RoutingKey", routingKey)
    .WithEnvironment("Firebase__ProjectId", firebaseProjectId)
    // The account table is created by Prosody when it first starts.
    .WaitFor(prosodyNodes[0]);
if (builder.ExecutionContext.IsRunMode && builder.Environment.IsDevelopment())
{
    authBridge.WithEnvironment("DevTokens__Enabled", "true");
}

builder.AddProject<Projects.CommEazy_PushGateway>("pushgateway")
    .WithHttpEndpoint(name: "internal")
    .WithHttpHealthCheck("/health", endpointName: "internal")
    .WithHostEnvironment(builder);

// Edge: the only public entry for XMPP.
builder.AddProject<Projects.CommEazy_Edge>("edge")
    .WithPublicAndInternalEndpoints(edgePort)
    .WithHttpsEndpointWhereDevCertificateExists(settings.GetValue("EdgeHttpsPort", 8443), "Edge__PublicHttpsPort")
    .WithHostEnvironment(builder)
    .WithEnvironment("Edge__PublicPort", edgePort.ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithEnvironment("Edge__PublicWebSocketUrl", publicWebSocketUrl)
    // Membership (who is live, who drains) comes from the nodes' heartbeats in the database.
    .WithReference(prosodyDb)
    .WithEnvironment("Edge__ClusterAdminSecret", clusterAdminSecret)
    .WithProsodyNodes(prosodyNodes);

builder.Build().Run();
