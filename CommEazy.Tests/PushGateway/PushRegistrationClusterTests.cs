using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using CommEazy.Push;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// Registrations against the real AuthBridge and database, and hostile input through the real Prosody: every bad
/// case gets a clear answer, nothing is stored or pushed, and nothing crashes.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class PushRegistrationClusterTests(CommEazyAppFixture cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Register_SameTokenAgain_SameNodeNewSecretOneRowSecretHashed()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);
        var ivan = await push.UserAsync("ivan");
        var token = ApnsTestBed.NewDeviceToken();

        // Act
        using var first = await push.PostRegistrationAsync(ivan, new { platform = "apns", token = token.ToUpperInvariant(), appId = PushFakes.BundleId });
        var created = (await first.Content.ReadFromJsonAsync<PushRegistrationAnswer>(TestContext.Current.CancellationToken))!;
        using var second = await push.PostRegistrationAsync(ivan, new { platform = "apns", token, appId = PushFakes.BundleId, environment = "sandbox" });
        var replaced = (await second.Content.ReadFromJsonAsync<PushRegistrationAnswer>(TestContext.Current.CancellationToken))!;

        // Assert
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal($"/v1/push/registrations/{created.Node}", first.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("no-store", second.Headers.CacheControl?.ToString());
        Assert.Equal("push.commeazy.local", created.Jid);
        Assert.True(PushRegistrationTable.IsNode(created.Node));
        Assert.Equal(created.Node, replaced.Node);
        Assert.NotEqual(created.Secret, replaced.Secret);
        var row = Assert.Single(await push.RowsAsync(ivan.BareJid));
        Assert.Equal(("apns", token), (row.Platform, row.Token));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(replaced.Secret)), row.SecretHash);
        Assert.DoesNotContain(cluster.Logs.GetSnapshot(), r => r.Message.Contains(replaced.Secret, StringComparison.Ordinal) || r.Message.Contains(token, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Unregister_AnotherUsersNode_NotFoundAndKept_OwnNodeDeleted_AccountErasureDeletesTheRest()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);
        var judy = await push.UserAsync("judy");
        var mallory = await push.UserAsync("mallory");
        var judyApns = await push.RegisterAsync(judy, "apns", ApnsTestBed.NewDeviceToken());
        await push.RegisterAsync(judy, "fcm", FcmTestBed.NewDeviceToken());

        // Act
        using var stolen = await push.SendAsAsync(mallory, HttpMethod.Delete, $"/v1/push/registrations/{judyApns.Node}");
        using var ownerless = await push.PostRegistrationAsync(mallory, new { platform = "apns", token = ApnsTestBed.NewDeviceToken(), appId = PushFakes.BundleId, owner = judy.BareJid });
        var afterMallory = await push.RowsAsync(judy.BareJid);
        using var own = await push.SendAsAsync(judy, HttpMethod.Delete, $"/v1/push/registrations/{judyApns.Node}");
        var afterOwn = await push.RowsAsync(judy.BareJid);
        using var erased = await push.SendAsAsync(judy, HttpMethod.Delete, "/v1/account");

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, stolen.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, ownerless.StatusCode);
        Assert.Equal(2, afterMallory.Count);
        Assert.Empty(await push.RowsAsync(mallory.BareJid));
        Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        Assert.Equal(["fcm"], afterOwn.Select(r => r.Platform));
        Assert.Equal(HttpStatusCode.NoContent, erased.StatusCode);
        Assert.Empty(await push.RowsAsync(judy.BareJid));
    }

    [Fact]
    public async Task HostileInputThroughProsody_ClearErrorsNoPushNothingStored()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: kim's app enables push three ways that must not deliver: a wrong secret, a node nobody registered,
        // and (online) a publish sent straight to the app server.
        using var push = new PushCluster(cluster);
        var kim = await push.UserAsync("kim");
        var bob = await push.UserAsync("bob", awayFrom: kim); // what bob sends crosses the cluster
        var token = ApnsTestBed.NewDeviceToken();
        var registration = await push.RegisterAsync(kim, "apns", token);
        var wrongSecret = registration with { Secret = PushRegistrationTable.NewSecret() };
        var unknownNode = registration with { Node = PushRegistrationTable.NewNode() };
        await using var driver = XmppDriver.Start();
        await PushCluster.SignInWithPushAsync(driver, kim, registrations: [wrongSecret, unknownNode]);

        // Act
        var direct = await driver.CallAsync("publishAsUser", new { name = "kim", to = registration.Jid, node = registration.Node, secret = registration.Secret });
        await driver.CallAsync("stop", new { name = "kim" });
        await PushCluster.SignInAsync(driver, bob);
        var since = DateTimeOffset.UtcNow;
        await driver.CallAsync("send", new { name = "bob", to = kim.BareJid, body = "hostile" });

        // Assert: Prosody was answered auth for the wrong secret and cancel/item-not-found for the unknown node.
        Assert.True(await PushCluster.EventuallyAsync(() => push.ProsodyLogSince(since).Count(l => l.Contains("Got error <", StringComparison.Ordinal)) >= 2, Patience),
            "Prosody logged no error answers for the two publishes");
        var errors = push.ProsodyLogSince(since).Where(l => l.Contains("Got error <", StringComparison.Ordinal)).ToList();
        Assert.Contains(errors, l => l.Contains("Got error <auth:not-authorized:", StringComparison.Ordinal) && l.Contains(registration.Node, StringComparison.Ordinal));
        Assert.Contains(errors, l => l.Contains("Got error <cancel:item-not-found:", StringComparison.Ordinal) && l.Contains(unknownNode.Node, StringComparison.Ordinal));
        Assert.Equal("cancel", (string?)direct["error"]!["type"]);
        Assert.Equal("forbidden", (string?)direct["error"]!["condition"]);
        Assert.Empty(cluster.Push.Apns.RequestsFor(token));
        Assert.Equal([registration.Node], (await push.RowsAsync(kim.BareJid)).Select(r => r.Node));
    }
}
