using CommEazy.AuthBridge;
using CommEazy.AuthBridge.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAuthBridgeServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

// The internal port (health, metrics) branches off here, before the limiter; every public endpoint is limited per client address.
app.MapDefaultEndpoints();
app.UseClientRateLimit();
var publicApi = app.MapGroup("").RequireRateLimiting(ClientRateLimit.PolicyName);
publicApi.MapSessionApi();
publicApi.MapAccountApi();
publicApi.MapPushRegistrationApi();
publicApi.MapDevTokenApi();

app.Run();
