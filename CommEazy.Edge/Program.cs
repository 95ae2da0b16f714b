using CommEazy.Edge;
using CommEazy.Edge.Cluster;
using CommEazy.Edge.Drain;
using CommEazy.Edge.Relay;
using CommEazy.Edge.Health;
using CommEazy.Edge.LoadBalancing;
using CommEazy.Edge.PublicFace;
using CommEazy.Edge.Routing;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.ConfigurePublicListener();

builder.Services.AddOptions<EdgeOptions>()
    .BindConfiguration(EdgeOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddProblemDetails();
// The nodes' heartbeats (who is live, who drains) are read from their database.
builder.AddNpgsqlDataSource("prosody");
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ClusterMembership>();
builder.Services.AddSingleton<IClusterMembership>(sp => sp.GetRequiredService<ClusterMembership>());
builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterMembership>());
builder.Services.AddSingleton<IProxyConfigProvider, ProsodyProxyConfigProvider>();
builder.Services.AddSingleton<ILoadBalancingPolicy, ConsistentHashLoadBalancingPolicy>();
builder.Services.AddSingleton<IActiveHealthCheckPolicy, FallRiseHealthPolicy>();
builder.Services.AddReverseProxy();
builder.Services.AddSingleton<Yarp.ReverseProxy.Forwarder.IForwarderHttpClientFactory, NodeHttpClientFactory>();
builder.Services.AddHealthChecks().AddCheck<ProsodyNodesHealthCheck>(ProsodyNodesHealthCheck.Name);
builder.Services.AddSingleton<EdgeMetrics>();
builder.Services.AddSingleton<CommEazy.Edge.Admission.NodeAdmission>();
builder.Services.AddHttpClient(NodeAdminApi.HttpClientName);

var app = builder.Build();
var edge = app.Services.GetRequiredService<IOptions<EdgeOptions>>().Value;
app.Services.GetRequiredService<EdgeMetrics>(); // its observable gauges exist from the start

// The internal listener (liveness, readiness, Prometheus metrics) branches off first; the rest is the public face.
app.MapDefaultEndpoints(internalApi => internalApi.MapNodeAdminApi());
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseForwardedHeaders();
app.UseConnectionsPerAddressLimit();
app.UseRequestBodyLimit();
app.UseWebSockets();
app.UseXmppWebSocketGate(ProsodyProxyConfigProvider.WebSocketPath);

// The public listener: the WebSocket route, /health (this Edge and its nodes) and host-meta. Nothing else.
app.MapReverseProxy(proxy =>
{
    proxy.UseHomeNodeRouting();
    proxy.UseLoadBalancing();
    if (edge.Relay)
    {
        proxy.UseWebSocketRelay();
    }
    else
    {
        // Edge:Relay=false: YARP's forwarder ends the pipeline and copies the upgraded connection's bytes (no pings).
        proxy.UsePassiveHealthChecks();
    }
});
app.MapHealthChecks(PublicPaths.Health, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteJson })
    .WithMetadata(new HttpMethodMetadata(PublicPaths.ReadMethods));
app.MapHostMetaApi();
app.MapPublicFallback();

Log.Started(app.Logger, edge.Nodes.Count, edge.PublicPort);
app.Run();
