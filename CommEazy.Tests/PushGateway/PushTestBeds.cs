using System.Security.Cryptography;
using CommEazy.PushGateway.Providers;
using CommEazy.Tests.Fakes.Apns;
using CommEazy.Tests.Fakes.Fcm;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace CommEazy.Tests.PushGateway;

/// <summary>A fake APNs (production and sandbox) and a gateway host whose APNs provider points at them.</summary>
internal sealed class ApnsTestBed : IAsyncDisposable
{
    public const string KeyId = "TESTKEY123";
    public const string TeamId = "TEAM123456";
    public const string BundleId = "app.commeazy.test";

    private ApnsTestBed(OffsetTimeProvider time, ECDsa key, FakeApnsServer apns, FakeApnsServer sandbox, PushTestHost host)
    {
        Time = time;
        Key = key;
        Apns = apns;
        Sandbox = sandbox;
        Host = host;
    }

    public OffsetTimeProvider Time { get; }

    public ECDsa Key { get; }

    public FakeApnsServer Apns { get; }

    public FakeApnsServer Sandbox { get; }

    public PushTestHost Host { get; }

    public IPushProvider Provider => Host.Provider("apns");

    /// <summary>A fake APNs that accepts provider tokens signed with <paramref name="key"/> (this bed's key and team ids).</summary>
    public static Task<FakeApnsServer> StartFakeAsync(ECDsa key, TimeProvider time)
    {
        var publicKey = new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false))) { KeyId = KeyId };
        return FakeApnsServer.StartAsync(new FakeApnsSettings(TeamId, KeyId, publicKey, BundleId, time, TestCertificate.Localhost), TestContext.Current.CancellationToken);
    }

    public static async Task<ApnsTestBed> StartAsync(IReadOnlyDictionary<string, string?>? overrides = null, Action<IHostApplicationBuilder>? extend = null)
    {
        var time = new OffsetTimeProvider();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var apns = await StartFakeAsync(key, time);
        var sandbox = await StartFakeAsync(key, time);
        var configuration = new Dictionary<string, string?>
        {
            ["Push:Apns:KeyId"] = KeyId,
            ["Push:Apns:TeamId"] = TeamId,
            ["Push:Apns:PrivateKey"] = key.ExportPkcs8PrivateKeyPem(),
            ["Push:Apns:Endpoint"] = apns.BaseAddress.AbsoluteUri,
            ["Push:Apns:SandboxEndpoint"] = sandbox.BaseAddress.AbsoluteUri,
            ["Push:Apns:Retry:BaseDelay"] = "00:00:00.020",
            ["Push:Apns:Retry:MaxRetryAfter"] = "00:00:02",
            ["Push:Apns:Retry:AttemptTimeout"] = "00:00:02",
            ["Push:Apns:Retry:TotalTimeout"] = "00:00:06",
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>())
        {
            configuration[name] = value;
        }
        var host = await PushTestHost.StartAsync(configuration, time, extend: extend);
        return new ApnsTestBed(time, key, apns, sandbox, host);
    }

    /// <summary>A fresh random device token (32 bytes, hex, as iOS hands them out).</summary>
    public static string NewDeviceToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static PushRequest Request(string deviceToken, PushKind kind = PushKind.MessageWaiting, PushPlatform platform = PushPlatform.Apns,
        PushEnvironment environment = PushEnvironment.Production) => new(platform, deviceToken, BundleId, environment, kind);

    public Task<PushResult> SendAsync(PushRequest request) => Provider.SendAsync(request, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Apns.DisposeAsync();
        await Sandbox.DisposeAsync();
        Key.Dispose();
    }
}

/// <summary>A fake FCM (OAuth2 token endpoint + v1 send) and a gateway host whose FCM provider points at it.</summary>
internal sealed class FcmTestBed : IAsyncDisposable
{
    public const string ProjectId = "commeazy-test";
    public const string ClientEmail = "push-gateway@commeazy-test.iam.gserviceaccount.com";
    public const string PrivateKeyId = "0123456789abcdef0123456789abcdef01234567";

    private FcmTestBed(OffsetTimeProvider time, RSA key, FakeFcmServer fcm, PushTestHost host)
    {
        Time = time;
        Key = key;
        Fcm = fcm;
        Host = host;
    }

    public OffsetTimeProvider Time { get; }

    public RSA Key { get; }

    public FakeFcmServer Fcm { get; }

    public PushTestHost Host { get; }

    public IPushProvider Provider => Host.Provider("fcm");

    /// <summary>A fake FCM whose token endpoint accepts assertions signed with <paramref name="key"/> (this bed's service account).</summary>
    public static Task<FakeFcmServer> StartFakeAsync(RSA key, TimeProvider time)
    {
        var publicKey = new RsaSecurityKey(key.ExportParameters(includePrivateParameters: false)) { KeyId = PrivateKeyId };
        return FakeFcmServer.StartAsync(new FakeFcmSettings(ProjectId, ClientEmail, PrivateKeyId, publicKey, time, TestCertificate.Localhost),
            TestContext.Current.CancellationToken);
    }

    /// <param name="overrides">Configuration to change.</param>
    /// <param name="signingKey">Signs the key file with this key instead of the one the fake knows.</param>
    public static async Task<FcmTestBed> StartAsync(IReadOnlyDictionary<string, string?>? overrides = null, RSA? signingKey = null)
    {
        var time = new OffsetTimeProvider();
        var key = RSA.Create(2048);
        var fcm = await StartFakeAsync(key, time);
        var configuration = new Dictionary<string, string?>
        {
            ["Push:Fcm:ServiceAccountJson"] = fcm.ServiceAccountJson(signingKey ?? key),
            ["Push:Fcm:Endpoint"] = fcm.BaseAddress.AbsoluteUri,
            ["Push:Fcm:Retry:BaseDelay"] = "00:00:00.020",
            ["Push:Fcm:Retry:MaxRetryAfter"] = "00:00:02",
            ["Push:Fcm:Retry:AttemptTimeout"] = "00:00:02",
            ["Push:Fcm:Retry:TotalTimeout"] = "00:00:06",
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>())
        {
            configuration[name] = value;
        }
        var host = await PushTestHost.StartAsync(configuration, time);
        return new FcmTestBed(time, key, fcm, host);
    }

    /// <summary>A fresh random registration token shaped like FCM's (instance id, colon, URL-safe base64).</summary>
    public static string NewDeviceToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(8)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ":APA91b"
        + Convert.ToBase64String(RandomNumberGenerator.GetBytes(105)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static PushRequest Request(string deviceToken, PushKind kind = PushKind.MessageWaiting) =>
        new(PushPlatform.Fcm, deviceToken, "app.commeazy.test", PushEnvironment.Production, kind);

    public Task<PushResult> SendAsync(PushRequest request) => Provider.SendAsync(request, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Fcm.DisposeAsync();
        Key.Dispose();
    }
}
