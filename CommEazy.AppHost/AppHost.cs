// CommEazy: apps ──ws──> edge ──ws──> prosody-N ──sql──> postgres (──> postgres-replica) <──sql── authbridge <──https── apps
//           prosody-N <──XEP-0114── pushgateway ──https──> APNs / FCM
//           apps ──udp/tcp──> coturn (TURN credentials from prosody-N, XEP-0215)
//           prometheus ──scrape──> everything ; grafana ──> prometheus
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
// TURN REST: Coturn and every Prosody node share it; apps get 24 h credentials derived from it (XEP-0215).
var turnSecret = builder.AddParameter("turn-shared-secret",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
var turnHost = builder.AddParameter("turn-host"); // what apps are told to reach Coturn at
var prosodyAdmins = builder.AddParameter("prosody-admins"); // space-separated bare JIDs with the admin role
var grafanaPassword = builder.AddParameter("grafana-admin-password",
    new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);
// The push gateway's XEP-0114 handshake secret; the gateway is the same component, push.<domain>, on every node.
var pushComponentSecret = builder.AddParameter("push-component-secret",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
var pushComponentJid = ReferenceExpression.Create($"push.{xmppDomain}");

// Infrastructure: one database shared by every Prosody node (accounts, rosters, PEP; never messages).
var postgres = builder.AddPostgres("postgres").WithCommEazyImage().WithStreamingReplication().WithDataVolume("commeazy-postgres-data");
var prosodyDb = postgres.AddDatabase("prosody");
// A hot standby for failover and backups; CommEazy:PostgresReplica=false leaves it out on small machines.
if (settings.GetValue("PostgresReplica", true))
{
    builder.AddPostgresReplica("postgres-replica", postgres);
}
var turnPort = settings.GetValue("TurnPort", CoturnResourceExtensions.TurnPort);
var coturn = builder.AddCoturn("coturn", turnSecret, xmppDomain, turnPort);
var edgePort = settings.GetValue("EdgePort", 8080);
// What apps are told to connect to; behind a TLS terminator or on a LAN, set CommEazy:PublicWebSocketUrl.
var publicWebSocketUrl = settings["PublicWebSocketUrl"] ?? $"ws://localhost:{edgePort}/xmpp-websocket";
// The cluster: N nodes serving one domain, each user homed on one of them (DESIGN.md §3).
var prosodyNodes = builder.AddProsodyNodes(settings.GetValue("ProsodyNodes", 3), prosodyDb,
    new ProsodyClusterSettings(xmppDomain, routingKey, clusterAdminSecret, publicWebSocketUrl))
    .WithTurnServer(coturn, turnSecret, turnHost, turnPort)
    .WithAdmins(prosodyAdmins)
    .WithPushComponent(pushComponentJid, pushComponentSecret);

// Services
var authBridge = builder.AddProject<Projects.CommEazy_AuthBridge>("authbridge")
    .WithPublicAndInternalEndpoints(settings.GetValue("AuthBridgePort", 8090))
    // CommEazy:AuthBridge:* tunes the AuthBridge (rate limit per client address, trusted proxies: README).
    .WithSettings(settings.GetSection("AuthBridge"), "AuthBridge")
    .WithHostEnvironment(builder)
    .WithReference(prosodyDb)
    .WithEnvironment("AuthBridge__XmppDomain", xmppDomain)
    .WithEnvironment("AuthBridge__WebSocketUrl", publicWebSocketUrl)
    .WithEnvironment("AuthBridge__PasswordKey", passwordKey)
    .WithEnvironment("Cluster__RoutingKey", routingKey)
    .WithEnvironment("Firebase__ProjectId", firebaseProjectId)
    .WithEnvironment("Push__ComponentJid", pushComponentJid)
    // Erasure goes through the user's home node; the account table is created by Prosody when it first starts.
    .WithEnvironment("Cluster__AdminSecret", clusterAdminSecret)
    .WithProsodyNodes(prosodyNodes, "Cluster");
if (builder.ExecutionContext.IsRunMode && builder.Environment.IsDevelopment())
{
    authBridge.WithEnvironment("DevTokens__Enabled", "true");
}

var pushGateway = builder.AddProject<Projects.CommEazy_PushGateway>("pushgateway")
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
var edge = builder.AddProject<Projects.CommEazy_Edge>("edge")
    .WithPublicAndInternalEndpoints(edgePort)
    .WithHttpsEndpointWhereCertificateExists(settings.GetValue("EdgeHttpsPort", 8443), "Edge__PublicHttpsPort",
        hasOwnCertificate: settings["Edge:PublicCertificatePath"] is not null)
    // CommEazy:Edge:* tunes the Edge (admission rates, ping intervals, trusted proxies, certificate: README).
    .WithSettings(settings.GetSection("Edge"), "Edge")
    .WithHostEnvironment(builder)
    .WithEnvironment("Edge__PublicPort", edgePort.ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithEnvironment("Edge__PublicWebSocketUrl", publicWebSocketUrl)
    // Membership (who is live, who drains) comes from the nodes' heartbeats in the database.
    .WithReference(prosodyDb)
    .WithEnvironment("Edge__ClusterAdminSecret", clusterAdminSecret)
    .WithProsodyNodes(prosodyNodes, "Edge");

// Observability: Prometheus scrapes every node and service and evaluates the alert rules; Grafana shows them.
var postgresExporter = builder.AddPostgresExporter("postgres-exporter", postgres);
var prometheus = builder.AddPrometheus("prometheus", settings["PrometheusScrapeInterval"] ?? "15s")
    .WithScrapeTargets("prosody", prosodyNodes, "http")
    .WithScrapeTarget("edge", edge, "internal")
    .WithScrapeTarget("authbridge", authBridge, "internal")
    .WithScrapeTarget("pushgateway", pushGateway, "internal")
    .WithScrapeTarget("postgres", postgresExporter, "metrics")
    .WithScrapeTarget("coturn", coturn, "metrics");
builder.AddGrafanaWhereAvailable("grafana", prometheus, grafanaPassword);

builder.Build().Run();
