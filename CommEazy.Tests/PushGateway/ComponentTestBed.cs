using System.Collections.Concurrent;
using CommEazy.Push;
using CommEazy.PushGateway.Component;
using CommEazy.PushGateway.Providers;
using CommEazy.PushGateway.Registrations;
using CommEazy.Tests.Fakes.Prosody;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// Registrations kept in memory, with the same rules as the PostgreSQL store: an APNs rejection older than the
/// registration leaves it in place.
/// </summary>
internal sealed class InMemoryPushRegistrationStore : IPushRegistrationStore
{
    private readonly ConcurrentDictionary<string, PushRegistration> _rows = new(StringComparer.Ordinal);

    /// <summary>When set, every call fails as a database outage would.</summary>
    public bool Unavailable { get; set; }

    /// <summary>When set, every call fails as a bug would (an exception nobody expects).</summary>
    public bool Broken { get; set; }

    public IReadOnlyCollection<PushRegistration> Rows => [.. _rows.Values];

    /// <summary>Registers a device and returns its node and secret, as the AuthBridge would.</summary>
    public (string Node, string Secret) Add(PushPlatform platform, string token, string appId = ApnsTestBed.BundleId,
        DateTimeOffset? createdAt = null, PushEnvironment environment = PushEnvironment.Production)
    {
        var node = PushRegistrationTable.NewNode();
        var secret = PushRegistrationTable.NewSecret();
        _rows[node] = new PushRegistration(node, PushRegistrationTable.HashSecret(secret), platform, token, appId, environment,
            createdAt ?? DateTimeOffset.UtcNow, null, false);
        if (platform == PushPlatform.ApnsVoip)
        {
            foreach (var row in _rows.Values.Where(r => r.Platform == PushPlatform.Apns && r.AppId == appId && r.Environment == environment))
            {
                _rows[row.Node] = row with { OwnerHasVoipToken = true }; // one owner per store in these tests
            }
        }
        return (node, secret);
    }

    public Task<PushRegistration?> FindAsync(string node, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        return Task.FromResult(_rows.GetValueOrDefault(node));
    }

    public Task<bool> RemoveRejectedAsync(PushRegistration registration, DateTimeOffset? invalidSince, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        var removable = _rows.TryGetValue(registration.Node, out var row) && row.DeviceToken == registration.DeviceToken
            && (invalidSince is null || row.CreatedAt < invalidSince);
        return Task.FromResult(removable && _rows.TryRemove(registration.Node, out _));
    }

    public Task MarkDeliveredAsync(PushRegistration registration, CancellationToken cancellationToken)
    {
        ThrowIfUnavailable();
        if (_rows.TryGetValue(registration.Node, out var row))
        {
            _rows[registration.Node] = row with { LastSuccessAt = DateTimeOffset.UtcNow };
        }
        return Task.CompletedTask;
    }

    private void ThrowIfUnavailable()
    {
        if (Unavailable)
        {
            throw new RegistrationStoreUnavailableException(new TimeoutException("test outage"));
        }
        if (Broken)
        {
            throw new InvalidOperationException("test bug");
        }
    }
}

/// <summary>
/// The gateway with its real XEP-0114 links, publish handler and APNs provider, between a fake Prosody node
/// (<see cref="FakeComponentServer"/>) and the fake APNs; registrations in memory.
/// </summary>
internal sealed class ComponentTestBed : IAsyncDisposable
{
    public const string Jid = "push.commeazy.test";
    public const string Domain = "commeazy.test";
    public const string Secret = "component-secret-0123456789abcdef";

    private ComponentTestBed(FakeComponentServer prosody, ApnsTestBed apns, InMemoryPushRegistrationStore registrations)
    {
        Prosody = prosody;
        Apns = apns;
        Registrations = registrations;
    }

    public FakeComponentServer Prosody { get; }

    public ApnsTestBed Apns { get; }

    public InMemoryPushRegistrationStore Registrations { get; }

    public ComponentLinks Links => Apns.Host.Services.GetRequiredService<ComponentLinks>();

    /// <param name="secret">The secret the gateway is configured with (the fake expects <see cref="Secret"/>).</param>
    /// <param name="overrides">More configuration.</param>
    public static async Task<ComponentTestBed> StartAsync(string secret = Secret, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var prosody = new FakeComponentServer(Jid, Secret, Domain);
        var registrations = new InMemoryPushRegistrationStore();
        var configuration = new Dictionary<string, string?>
        {
            ["Push:Component:Jid"] = Jid,
            ["Push:Component:Secret"] = secret,
            ["Push:Component:XmppDomain"] = Domain,
            ["Push:Component:Nodes:0:Id"] = "prosody-1",
            ["Push:Component:Nodes:0:Address"] = prosody.Address.AbsoluteUri,
            ["Push:Component:ReconnectBaseDelay"] = "00:00:00.100",
            ["Push:Component:ReconnectMaxDelay"] = "00:00:00.500",
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>())
        {
            configuration[name] = value;
        }
        var apns = await ApnsTestBed.StartAsync(configuration, builder =>
        {
            builder.Services.AddSingleton<IPushRegistrationStore>(registrations);
            builder.AddComponentLinks();
        });
        return new ComponentTestBed(prosody, apns, registrations);
    }

    public async ValueTask DisposeAsync()
    {
        await Apns.DisposeAsync();
        await Prosody.DisposeAsync();
    }
}
