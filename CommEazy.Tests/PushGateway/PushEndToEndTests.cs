using System.Text;
using System.Text.Json;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// Push end to end: real Prosody (mod_cloud_notify + our modules), the real PushGateway over XEP-0114, real xmpp.js
/// apps through the Edge, the AuthBridge's registration API, and the fake APNs / FCM in place of Apple and Google.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class PushEndToEndTests(CommEazyAppFixture cluster)
{
    /// <summary>The promise: a push reaches the provider within 2 s of the message that caused it.</summary>
    private static readonly TimeSpan PushDeadline = TimeSpan.FromSeconds(2);

    /// <summary>How long to keep watching for a second push after the first.</summary>
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task OfflineApnsUser_GetsOneContentFreePushWithinTwoSeconds()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);
        var alice = await push.UserAsync("alice");
        var bob = await push.UserAsync("bob", awayFrom: alice); // what bob sends crosses the cluster
        var token = ApnsTestBed.NewDeviceToken();
        var registration = await push.RegisterAsync(alice, "apns", token);
        await using var driver = XmppDriver.Start();
        await PushCluster.GoOfflineWithPushAsync(driver, alice, registration);
        await PushCluster.SignInAsync(driver, bob);
        var canary = $"push-canary-{Guid.NewGuid():N}";

        // Act
        var bounce = driver.CallAsync("nextBounce", new { name = "bob", from = alice.BareJid, timeoutMs = 5000 });
        var sent = PushCluster.SentAt(await driver.CallAsync("send", new { name = "bob", to = alice.BareJid, body = canary }));

        // Assert: no server store, so the sender learns it did not arrive; the phone learns something waits.
        Assert.Equal("service-unavailable", (string?)(await bounce)["condition"]);
        var delivered = await PushCluster.SinglePushAsync(() => cluster.Push.Apns.RequestsFor(token), "no push reached the fake APNs");
        Assert.Equal(200, delivered.AnsweredStatus);
        Assert.True(delivered.ReceivedAt - sent <= PushDeadline, $"the push took {(delivered.ReceivedAt - sent).TotalMilliseconds:F0} ms");
        Assert.Equal("alert", delivered.PushType);
        Assert.Equal(PushFakes.BundleId, delivered.Topic);
        AssertContentFree(Encoding.UTF8.GetString(delivered.Body), canary, alice, bob, registration);
        AssertNoLogContains(token, registration.Secret, canary);
        Assert.Empty(cluster.Push.Apns.ProtocolViolations);
    }

    [Fact]
    public async Task OfflineFcmUser_GetsOneDataOnlyPushWithinTwoSeconds()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);
        var carol = await push.UserAsync("carol");
        var bob = await push.UserAsync("bob", awayFrom: carol); // what bob sends crosses the cluster
        var token = FcmTestBed.NewDeviceToken();
        var registration = await push.RegisterAsync(carol, "fcm", token);
        await using var driver = XmppDriver.Start();
        await PushCluster.GoOfflineWithPushAsync(driver, carol, registration);
        await PushCluster.SignInAsync(driver, bob);
        var canary = $"push-canary-{Guid.NewGuid():N}";

        // Act
        var sent = PushCluster.SentAt(await driver.CallAsync("send", new { name = "bob", to = carol.BareJid, body = canary }));

        // Assert
        var delivered = await PushCluster.SinglePushAsync(() => cluster.Push.Fcm.MessagesFor(token), "no push reached the fake FCM");
        Assert.Equal(200, delivered.AnsweredStatus);
        Assert.True(delivered.ReceivedAt - sent <= PushDeadline, $"the push took {(delivered.ReceivedAt - sent).TotalMilliseconds:F0} ms");
        using var message = JsonDocument.Parse(delivered.Body);
        Assert.Equal("message", message.RootElement.GetProperty("message").GetProperty("data").GetProperty("kind").GetString());
        AssertContentFree(delivered.Body.Replace(token, "", StringComparison.Ordinal), canary, carol, bob, registration);
        AssertNoLogContains(token, registration.Secret, canary);
        Assert.Empty(cluster.Push.Fcm.ProtocolViolations);
    }

    [Fact]
    public async Task HibernatingUser_ConnectionCutWithoutClose_GetsOnePush()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: dave's connection runs through a relay that the test cuts (both sides reset, no close of any kind),
        // so Prosody keeps his session hibernating for resumption.
        using var push = new PushCluster(cluster);
        var dave = await push.UserAsync("dave");
        var bob = await push.UserAsync("bob", awayFrom: dave); // what bob sends crosses the cluster
        var token = ApnsTestBed.NewDeviceToken();
        var registration = await push.RegisterAsync(dave, "apns", token);
        await using var driver = XmppDriver.Start();
        await PushCluster.SignInWithPushAsync(driver, dave, relay: true, registration);
        await PushCluster.SignInAsync(driver, bob);
        await driver.CallAsync("cut", new { name = "dave" });
        // The Edge sees the reset at once and drops its upstream to Prosody, which then hibernates the session (it
        // logs that only at debug level); a second is ample for that to happen before the message arrives.
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        // Act
        var bounce = driver.CallAsync("nextBounce", new { name = "bob", from = dave.BareJid, timeoutMs = 3000 });
        var sent = PushCluster.SentAt(await driver.CallAsync("send", new { name = "bob", to = dave.BareJid, body = "are you there?" }));

        // Assert: the message is queued for the hibernating session (an offline user's would bounce), and pushed.
        var delivered = await PushCluster.SinglePushAsync(() => cluster.Push.Apns.RequestsFor(token), "for the hibernating session");
        Assert.Null((string?)(await bounce)["condition"]);
        Assert.True(delivered.ReceivedAt - sent <= PushDeadline, $"the push took {(delivered.ReceivedAt - sent).TotalMilliseconds:F0} ms");
        AssertContentFree(Encoding.UTF8.GetString(delivered.Body), "are you there?", dave, bob, registration);
    }

    [Fact]
    public async Task OfflineCallee_CallProposal_RingsThroughOneVoipPush()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: the callee's iPhone registered an alert token and a PushKit (VoIP) token.
        using var push = new PushCluster(cluster);
        var erin = await push.UserAsync("erin");
        var bob = await push.UserAsync("bob", awayFrom: erin); // what bob sends crosses the cluster
        var alertToken = ApnsTestBed.NewDeviceToken();
        var voipToken = ApnsTestBed.NewDeviceToken();
        var alert = await push.RegisterAsync(erin, "apns", alertToken);
        var voip = await push.RegisterAsync(erin, "apns-voip", voipToken);
        await using var driver = XmppDriver.Start();
        await PushCluster.GoOfflineWithPushAsync(driver, erin, alert, voip);
        await PushCluster.SignInAsync(driver, bob);

        // Act
        var sent = PushCluster.SentAt(await driver.CallAsync("propose", new { name = "bob", to = erin.BareJid, callId = Guid.NewGuid().ToString("N") }));
        var ring = await PushCluster.SinglePushAsync(() => cluster.Push.Apns.RequestsFor(voipToken), "VoIP for the call");
        await driver.CallAsync("send", new { name = "bob", to = erin.BareJid, body = "missed you" });
        var notice = await PushCluster.SinglePushAsync(() => cluster.Push.Apns.RequestsFor(alertToken), "alert for the message");

        // Assert: the call rang through VoIP only; the message went to the alert token only.
        Assert.Single(cluster.Push.Apns.RequestsFor(voipToken));
        Assert.Equal("voip", ring.PushType);
        Assert.Equal(PushFakes.BundleId + ".voip", ring.Topic);
        Assert.Equal("incoming-call", ring.CollapseId);
        Assert.True(ring.ReceivedAt - sent <= PushDeadline, $"the VoIP push took {(ring.ReceivedAt - sent).TotalMilliseconds:F0} ms");
        Assert.Equal("""{"kind":"call"}""", Encoding.UTF8.GetString(ring.Body));
        Assert.Equal("message-waiting", notice.CollapseId);
    }

    [Fact]
    public async Task Apns410_RegistrationRemovedProsodyToldCancel_NewerTokenWorks()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);
        var frank = await push.UserAsync("frank");
        var bob = await push.UserAsync("bob", awayFrom: frank); // what bob sends crosses the cluster
        var oldToken = ApnsTestBed.NewDeviceToken();
        var old = await push.RegisterAsync(frank, "apns", oldToken);
        cluster.Push.Apns.Always(oldToken, Fakes.Apns.ApnsFakeReply.Unregistered(DateTimeOffset.UtcNow.AddSeconds(1)));
        await using var driver = XmppDriver.Start();
        await PushCluster.GoOfflineWithPushAsync(driver, frank, old);
        await PushCluster.SignInAsync(driver, bob);
        var since = DateTimeOffset.UtcNow;

        // Act: Apple says the token is gone.
        await driver.CallAsync("send", new { name = "bob", to = frank.BareJid, body = "hello?" });

        // Assert: the registration is removed and Prosody got a cancel (which it counts toward disabling).
        Assert.True(await PushCluster.EventuallyAsync(async () => (await push.RowsAsync(frank.BareJid)).Count == 0, Patience), "the rejected registration is still stored");
        Assert.True(await PushCluster.EventuallyAsync(() => push.ProsodyLogSince(since).Any(l => l.Contains("Got error <cancel:gone:", StringComparison.Ordinal) && l.Contains(old.Node, StringComparison.Ordinal)), Patience),
            "Prosody did not log a cancel/gone answer for the registration");
        Assert.Equal(1, cluster.Push.Apns.AttemptsFor(oldToken));

        // Act: the app registers the token iOS hands it now and enables push with it.
        var newToken = ApnsTestBed.NewDeviceToken();
        var renewed = await push.RegisterAsync(frank, "apns", newToken);
        await PushCluster.GoOfflineWithPushAsync(driver, frank, renewed);
        await driver.CallAsync("send", new { name = "bob", to = frank.BareJid, body = "hello again" });

        // Assert
        Assert.Equal(200, (await PushCluster.SinglePushAsync(() => cluster.Push.Apns.RequestsFor(newToken), "for the newer token")).AnsweredStatus);
        Assert.NotEqual(old.Node, renewed.Node);
        Assert.Equal([renewed.Node], (await push.RowsAsync(frank.BareJid)).Select(r => r.Node));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(429)]
    public async Task ApnsTransientFailure_RetriedThenWaitRegistrationKept(int status)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);
        var grace = await push.UserAsync("grace");
        var bob = await push.UserAsync("bob", awayFrom: grace); // what bob sends crosses the cluster
        var token = ApnsTestBed.NewDeviceToken();
        var registration = await push.RegisterAsync(grace, "apns", token);
        cluster.Push.Apns.Always(token, status == 429 ? Fakes.Apns.ApnsFakeReply.TooManyRequests(TimeSpan.FromSeconds(1)) : Fakes.Apns.ApnsFakeReply.InternalServerError);
        await using var driver = XmppDriver.Start();
        await PushCluster.GoOfflineWithPushAsync(driver, grace, registration);
        await PushCluster.SignInAsync(driver, bob);
        var waitsBefore = await push.PublishesAsync("wait", "temporary_failure");

        // Act
        await driver.CallAsync("send", new { name = "bob", to = grace.BareJid, body = "ping" });

        // Assert: three attempts (the retry policy), then Prosody is told wait, and the registration stays.
        Assert.True(await PushCluster.EventuallyAsync(async () => await push.PublishesAsync("wait", "temporary_failure") > waitsBefore, Patience),
            "the gateway did not answer wait");
        Assert.Equal(3, cluster.Push.Apns.AttemptsFor(token));
        Assert.Single(await push.RowsAsync(grace.BareJid));

        // Act: APNs recovers; the same registration (still enabled in Prosody) delivers.
        cluster.Push.Apns.Reset(token);
        await driver.CallAsync("send", new { name = "bob", to = grace.BareJid, body = "ping again" });

        // Assert
        Assert.True(await PushCluster.EventuallyAsync(() => cluster.Push.Apns.RequestsFor(token).Any(r => r.AnsweredStatus == 200), Patience), "no push once APNs recovered");
    }

    [Fact]
    public async Task PushGatewayStopped_OnlineChatUnaffected_PushesResumeWhenItReturns()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);
        var alice = await push.UserAsync("alice");
        var bob = await push.UserAsync("bob", awayFrom: alice); // what bob sends crosses the cluster
        var heidi = await push.UserAsync("heidi");
        var token = ApnsTestBed.NewDeviceToken();
        var registration = await push.RegisterAsync(heidi, "apns", token);
        await using var driver = XmppDriver.Start();
        await PushCluster.GoOfflineWithPushAsync(driver, heidi, registration);
        await PushCluster.SignInAsync(driver, alice);
        await PushCluster.SignInAsync(driver, bob);

        await push.StopResourceAsync("pushgateway");
        var stoppedAt = DateTimeOffset.UtcNow;
        try
        {
            // Act: online users chat while the gateway is down; a message for heidi finds no app server.
            var bobGets = driver.CallAsync("nextMessage", new { name = "bob", from = alice.BareJid, timeoutMs = 10000 });
            await driver.CallAsync("send", new { name = "alice", to = bob.BareJid, body = "still here" });
            var received = await bobGets;
            var aliceGets = driver.CallAsync("nextMessage", new { name = "alice", from = bob.BareJid, timeoutMs = 10000 });
            await driver.CallAsync("send", new { name = "bob", to = alice.BareJid, body = "me too" });
            var reply = await aliceGets;
            await driver.CallAsync("send", new { name = "bob", to = heidi.BareJid, body = "while the gateway is down" });
            await Task.Delay(QuietPeriod, TestContext.Current.CancellationToken);

            // Assert
            Assert.Equal("still here", (string?)received["body"]);
            Assert.Equal("me too", (string?)reply["body"]);
            Assert.Empty(cluster.Push.Apns.RequestsFor(token));
            // Prosody had the publish and found no app server: it answers itself, with wait (not counted).
            Assert.Contains(push.ProsodyLogSince(stoppedAt), l => l.Contains("Component not connected", StringComparison.Ordinal));
        }
        finally
        {
            // Restored whatever happened: the other tests of the collection need the gateway.
            await push.StartResourceAsync("pushgateway");
        }

        // Act: the gateway is back (and linked to the node again).
        await driver.CallAsync("send", new { name = "bob", to = heidi.BareJid, body = "and now?" });

        // Assert: the registration survived the outage (Prosody answered wait itself) and pushes resume.
        Assert.Equal(200, (await PushCluster.SinglePushAsync(() => cluster.Push.Apns.RequestsFor(token), "after the gateway came back")).AnsweredStatus);
    }

    [Fact]
    public async Task GatewayHealth_ReportsEachNodeLinkAndTheProviders()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var push = new PushCluster(cluster);

        // Act
        var health = await push.GatewayHealthAsync();

        // Assert
        Assert.Equal("Healthy", (string?)health["status"]);
        var links = health["checks"]!["prosody-links"]!;
        Assert.Equal($"{cluster.Nodes.Count} of {cluster.Nodes.Count} Prosody nodes linked over XEP-0114", (string?)links["description"]);
        Assert.All(cluster.Nodes, node => Assert.StartsWith("connected since", (string?)links["data"]![node]));
        Assert.Equal("delivering through apns, fcm", (string?)health["checks"]!["push-providers"]!["description"]);
    }

    private static void AssertContentFree(string payload, string body, ClusterUser recipient, ClusterUser sender, PushRegistrationAnswer registration)
    {
        foreach (var forbidden in new[] { body, recipient.BareJid, recipient.BareJid.Split('@')[0], sender.BareJid, sender.BareJid.Split('@')[0], registration.Node, registration.Secret, "New Message!" })
        {
            Assert.DoesNotContain(forbidden, payload, StringComparison.OrdinalIgnoreCase);
        }
    }

    private void AssertNoLogContains(params string[] secrets)
    {
        foreach (var record in cluster.Logs.GetSnapshot())
        {
            foreach (var secret in secrets)
            {
                Assert.False(record.Message.Contains(secret, StringComparison.OrdinalIgnoreCase), $"[{record.Category}] logged a secret or message content");
            }
        }
    }
}
