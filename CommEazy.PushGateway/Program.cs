using Microsoft.Extensions.Diagnostics.HealthChecks;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddProblemDetails();
builder.AddPushProviders();

// This build of the gateway runs but delivers nothing: no XEP-0114 link to Prosody and no APNs/FCM client exist
// yet. Its health says so plainly instead of pretending to deliver pushes.
builder.Services.AddHealthChecks().AddCheck("push-delivery", () => HealthCheckResult.Healthy(
    "not connected to any Prosody node or to APNs/FCM yet: this build of the push gateway delivers no pushes"));

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.Run();
