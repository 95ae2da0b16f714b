using CommEazy.AuthBridge;
using CommEazy.AuthBridge.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAuthBridgeServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();
app.MapSessionApi();
app.MapAccountApi();
app.MapPushRegistrationApi();
app.MapDevTokenApi();

app.Run();
