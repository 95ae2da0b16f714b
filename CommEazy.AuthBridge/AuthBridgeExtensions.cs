using CommEazy.AuthBridge.Accounts;
using CommEazy.AuthBridge.Apis;
using CommEazy.AuthBridge.DevTokens;
using CommEazy.AuthBridge.Firebase;
using CommEazy.AuthBridge.Push;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommEazy.AuthBridge;

/// <summary>Dependency injection for the AuthBridge.</summary>
internal static class AuthBridgeExtensions
{
    /// <summary>Name of the connection string (and Aspire resource) of Prosody's database.</summary>
    public const string ProsodyDatabase = "prosody";

    /// <summary>Adds options validated at startup, Prosody's database, Firebase token validation, push registrations, the per-address rate limit and, in Development only, the dev token issuer.</summary>
    public static IHostApplicationBuilder AddAuthBridgeServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        // Aspire.Npgsql would only notice a missing connection string at the first request (a 500): fail now.
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ProsodyDatabase))
            && string.IsNullOrWhiteSpace(builder.Configuration["Aspire:Npgsql:ConnectionString"]))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ProsodyDatabase} (Prosody's PostgreSQL database) is required.");
        }
        builder.AddNpgsqlDataSource(ProsodyDatabase);

        builder.Services.AddOptions<AuthBridgeOptions>()
            .BindConfiguration(AuthBridgeOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<ClusterOptions>()
            .BindConfiguration(ClusterOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<FirebaseOptions>()
            .BindConfiguration(FirebaseOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<PushOptions>()
            .BindConfiguration(PushOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<DevTokenOptions>()
            .BindConfiguration(DevTokenOptions.SectionName, b => b.ErrorOnUnknownConfiguration = true);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpClient(SigningKeySource.HttpClientName);
        builder.Services.AddSingleton<SigningKeySource>();
        builder.Services.AddSingleton<FirebaseTokenValidator>();
        builder.Services.AddSingleton<FirebaseAuthenticator>();
        builder.Services.AddSingleton<PasswordDeriver>();
        builder.Services.AddSingleton<ProsodyAccountStore>();
        builder.Services.AddHttpClient<ClusterAccountDeletion>();
        builder.Services.AddSingleton<AuthBridgeMetrics>();
        builder.Services.AddSingleton<PushRegistrationStore>();
        builder.Services.AddSingleton<IAccountErasureStep, PushRegistrationErasure>();
        builder.Services.AddSingleton<PushRegistrationSchema>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PushRegistrationSchema>());
        builder.Services.AddHealthChecks().AddCheck<PushRegistrationSchema>(PushRegistrationSchema.HealthCheckName);
        builder.AddClientRateLimit();

        var devTokens = builder.Configuration.GetSection(DevTokenOptions.SectionName).Get<DevTokenOptions>();
        if (builder.Environment.IsDevelopment() && devTokens?.Enabled == true)
        {
            builder.Services.AddSingleton<DevTokenIssuer>();
        }
        return builder;
    }
}
