using System.Text;
using System.Xml.Linq;
using CommEazy.PushGateway.Component;
using CommEazy.PushGateway.Providers;
using CommEazy.Tests.Fakes.Apns;
using CommEazy.Tests.Fakes.Prosody;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CommEazy.Tests.PushGateway;

/// <summary>
/// The gateway's XEP-0114 link and publish handling between a fake Prosody node (which checks the handshake and
/// the component's addressing) and the fake APNs: every answer type Prosody can get, and the link's life.
/// </summary>
public sealed class ComponentLinkTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Link_RightSecret_AuthenticatesAndHealthSaysLinked()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();

        // Act
        await bed.Prosody.NextSessionAsync(Wait);
        // The fake has written <handshake/>; the gateway counts the link up once it has read it.
        await Eventually(() => bed.Links.Links[0].Status.State == LinkState.Connected);
        var health = await LinkHealthAsync(bed);

        // Assert
        Assert.Equal(1, bed.Prosody.Handshakes);
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.StartsWith("connected", (string)health.Data["prosody-1"]);
        Assert.Empty(bed.Prosody.ProtocolViolations);
    }

    [Fact]
    public async Task Link_WrongSecret_RetriesWithBackoffAndHealthSaysWhy()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync(secret: "not-the-component-secret-at-all");

        // Act
        await Eventually(() => bed.Prosody.Refused >= 3);
        var health = await LinkHealthAsync(bed);

        // Assert
        Assert.Equal(0, bed.Prosody.Handshakes);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("not-authorized", (string)health.Data["prosody-1"]);
        PrivacyAssert.NoLogContains(bed.Apns.Host.Logs, ["not-the-component-secret-at-all", ComponentTestBed.Secret]);
    }

    [Fact]
    public async Task Publish_RegisteredApnsDevice_AnswersResultOnceApnsAccepted()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, token);
        var session = await bed.Prosody.NextSessionAsync(Wait);
        using var traces = new ActivityRecorder();

        // Act
        var reply = await session.PublishAsync(node, secret);

        // Assert
        Assert.Equal("result", reply.Attr("type"));
        Assert.Equal(ComponentTestBed.Jid, reply.Attr("from"));
        var publish = Assert.Single(traces.Stopped, a => a.OperationName == "push publish");
        Assert.Equal("delivered", publish.GetTagItem("push.reason"));
        Assert.Contains(traces.Stopped, a => a.OperationName == "apns push" && a.ParentSpanId == publish.SpanId);
        // The fake APNs runs in this process: its own server-side spans (Microsoft.AspNetCore) naturally see the path.
        PrivacyAssert.NoActivityContains(traces.Stopped.Where(a => a.Source.Name != "Microsoft.AspNetCore"), [token, secret, node]);
        Assert.Equal(ComponentTestBed.Domain, reply.Attr("to"));
        var push = Assert.Single(bed.Apns.Apns.Delivered);
        Assert.Equal(token, push.DeviceToken);
        Assert.Equal("alert", push.PushType);
        var body = Encoding.UTF8.GetString(push.Body);
        Assert.DoesNotContain(node, body);
        Assert.DoesNotContain("New Message!", body); // the summary form's dummy body stays in Prosody
        Assert.NotNull(bed.Registrations.Rows.Single().LastSuccessAt);
        Assert.Empty(bed.Prosody.ProtocolViolations);
        PrivacyAssert.NoLogContains(bed.Apns.Host.Logs, [token, secret, node]);
    }

    [Fact]
    public async Task Publish_CallToVoipDevice_SendsVoipPush()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var (node, secret) = bed.Registrations.Add(PushPlatform.ApnsVoip, token);
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret, kind: "call");

        // Assert
        Assert.Equal("result", reply.Attr("type"));
        var push = Assert.Single(bed.Apns.Apns.Delivered);
        Assert.Equal("voip", push.PushType);
        Assert.Equal(ApnsTestBed.BundleId + ".voip", push.Topic);
    }

    [Fact]
    public async Task Publish_MessageToVoipDevice_AnswersResultWithoutPush()
    {
        // Arrange: iOS ends an app that gets a VoIP push and reports no call.
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, secret) = bed.Registrations.Add(PushPlatform.ApnsVoip, ApnsTestBed.NewDeviceToken());
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret, kind: "message");

        // Assert
        Assert.Equal("result", reply.Attr("type"));
        Assert.Empty(bed.Apns.Apns.Requests);
    }

    [Fact]
    public async Task Publish_CallToAlertDeviceOfOwnerWithVoipToken_NoSecondNotice()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var alertToken = ApnsTestBed.NewDeviceToken();
        var (alertNode, alertSecret) = bed.Registrations.Add(PushPlatform.Apns, alertToken);
        bed.Registrations.Add(PushPlatform.ApnsVoip, ApnsTestBed.NewDeviceToken());
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var call = await session.PublishAsync(alertNode, alertSecret, kind: "call");
        var message = await session.PublishAsync(alertNode, alertSecret, kind: "message");

        // Assert
        Assert.Equal("result", call.Attr("type"));
        Assert.Equal("result", message.Attr("type"));
        var push = Assert.Single(bed.Apns.Apns.Delivered);
        Assert.Equal(alertToken, push.DeviceToken);
        Assert.Equal("message-waiting", push.CollapseId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Publish_UnknownNode_CancelItemNotFound(bool wellFormedNode)
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(wellFormedNode ? CommEazy.Push.PushRegistrationTable.NewNode() : "no such node", "some-secret");

        // Assert
        AssertError(reply, "cancel", "item-not-found");
        Assert.Empty(bed.Apns.Apns.Requests);
    }

    [Fact]
    public async Task Publish_WrongSecret_AuthNotAuthorizedAndNoPush()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, _) = bed.Registrations.Add(PushPlatform.Apns, ApnsTestBed.NewDeviceToken());
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var wrong = await session.PublishAsync(node, CommEazy.Push.PushRegistrationTable.NewSecret());
        var none = await session.PublishAsync(node, secret: null);

        // Assert
        AssertError(wrong, "auth", "not-authorized");
        AssertError(none, "auth", "not-authorized");
        Assert.Empty(bed.Apns.Apns.Requests);
        Assert.Single(bed.Registrations.Rows);
    }

    [Theory]
    [InlineData("<iq type='set' id='{0}' from='commeazy.test' to='push.commeazy.test'/>")]
    [InlineData("<iq type='set' id='{0}' from='commeazy.test' to='push.commeazy.test'><pubsub xmlns='http://jabber.org/protocol/pubsub'/></iq>")]
    [InlineData("<iq type='set' id='{0}' from='commeazy.test' to='push.commeazy.test'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish><item><notification xmlns='urn:xmpp:push:0'/></item></publish></pubsub></iq>")]
    [InlineData("<iq type='set' id='{0}' from='commeazy.test' to='push.commeazy.test'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='abc'/></pubsub></iq>")]
    [InlineData("<iq type='set' id='{0}' from='commeazy.test' to='push.commeazy.test'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='abc'><item><notification xmlns='urn:xmpp:push:0'/></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:example:other</value></field><field var='secret'><value>s</value></field></x></publish-options></pubsub></iq>")]
    public async Task Publish_Malformed_ModifyBadRequestAndNoPush(string iq)
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.RequestAsync(id => string.Format(System.Globalization.CultureInfo.InvariantCulture, iq, id));

        // Assert
        AssertError(reply, iq.Contains("pubsub xmlns") ? "modify" : "cancel", iq.Contains("pubsub xmlns") ? "bad-request" : "service-unavailable");
        Assert.Empty(bed.Apns.Apns.Requests);
        Assert.Empty(bed.Prosody.ProtocolViolations);
    }

    [Fact]
    public async Task Publish_OversizedNodeOrSecret_ModifyBadRequest()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, ApnsTestBed.NewDeviceToken());
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var longNode = await session.PublishAsync(new string('n', 5000), secret);
        var longSecret = await session.PublishAsync(node, new string('s', 5000));

        // Assert
        AssertError(longNode, "modify", "bad-request");
        AssertError(longSecret, "modify", "bad-request");
        Assert.Empty(bed.Apns.Apns.Requests);
    }

    [Fact]
    public async Task Publish_NotFromTheXmppService_CancelForbiddenAndNoPush()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, ApnsTestBed.NewDeviceToken());
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret, from: "mallory@commeazy.test/phone");

        // Assert
        AssertError(reply, "cancel", "forbidden");
        Assert.Empty(bed.Apns.Apns.Requests);
    }

    [Fact]
    public async Task Publish_Apns410AfterRegistration_CancelGoneAndRegistrationRemoved()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, token, createdAt: DateTimeOffset.UtcNow.AddHours(-1));
        bed.Apns.Apns.Always(token, ApnsFakeReply.Unregistered(DateTimeOffset.UtcNow.AddMinutes(-1)));
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var first = await session.PublishAsync(node, secret);
        var again = await session.PublishAsync(node, secret);

        // Assert
        AssertError(first, "cancel", "gone");
        AssertError(again, "cancel", "item-not-found");
        Assert.Empty(bed.Registrations.Rows);
        Assert.Equal(1, bed.Apns.Apns.AttemptsFor(token));
    }

    [Fact]
    public async Task Publish_Apns410OlderThanRegistration_WaitAndRegistrationKept()
    {
        // Arrange: the device registered this token again after Apple last saw it invalid.
        await using var bed = await ComponentTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, token);
        bed.Apns.Apns.Enqueue(token, ApnsFakeReply.Unregistered(DateTimeOffset.UtcNow.AddHours(-1)));
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret);

        // Assert
        AssertError(reply, "wait", "resource-constraint");
        Assert.Single(bed.Registrations.Rows);
    }

    [Fact]
    public async Task Publish_Apns500EveryAttempt_RetriedThenWaitAndRegistrationKept()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, token);
        bed.Apns.Apns.Always(token, ApnsFakeReply.InternalServerError);
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret);

        // Assert: three attempts (the default), then wait, which mod_cloud_notify does not count.
        AssertError(reply, "wait", "resource-constraint");
        Assert.Equal(3, bed.Apns.Apns.AttemptsFor(token));
        Assert.Single(bed.Registrations.Rows);
    }

    [Fact]
    public async Task Publish_Apns429ThenOk_RetriedAndResult()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, token);
        bed.Apns.Apns.Enqueue(token, ApnsFakeReply.TooManyRequests(TimeSpan.FromSeconds(1)));
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret);

        // Assert
        Assert.Equal("result", reply.Attr("type"));
        Assert.Equal(2, bed.Apns.Apns.AttemptsFor(token));
    }

    [Fact]
    public async Task Publish_RegistrationsUnavailable_Wait()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, ApnsTestBed.NewDeviceToken());
        bed.Registrations.Unavailable = true;
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret);

        // Assert
        AssertError(reply, "wait", "internal-server-error");
        Assert.Empty(bed.Apns.Apns.Requests);
    }

    [Fact]
    public async Task Publish_HandlerFails_AnsweredWaitAndTheLinkServesOn()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, ApnsTestBed.NewDeviceToken());
        bed.Registrations.Broken = true;
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var failed = await session.PublishAsync(node, secret);
        bed.Registrations.Broken = false;
        var next = await session.PublishAsync(node, secret);

        // Assert
        AssertError(failed, "wait", "internal-server-error");
        Assert.Equal("result", next.Attr("type"));
        Assert.Equal(1, bed.Prosody.Handshakes);
    }

    [Fact]
    public async Task Publish_PlatformWithoutProvider_WaitSoTheRegistrationSurvives()
    {
        // Arrange: only APNs is configured in the bed.
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Fcm, FcmTestBed.NewDeviceToken(), appId: "app.commeazy.test");
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = await session.PublishAsync(node, secret);
        var health = await bed.Apns.Host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(r => r.Name == PushProvidersHealthCheck.Name, TestContext.Current.CancellationToken);

        // Assert
        AssertError(reply, "wait", "resource-constraint");
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("no provider for fcm", health.Entries[PushProvidersHealthCheck.Name].Description);
    }

    [Fact]
    public async Task PingAndDiscoInfo_Answered_OtherIqRefused()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var pong = await session.RequestAsync(id => $"<iq type='get' id='{id}' from='commeazy.test' to='push.commeazy.test'><ping xmlns='urn:xmpp:ping'/></iq>");
        var disco = await session.RequestAsync(id => $"<iq type='get' id='{id}' from='commeazy.test' to='push.commeazy.test'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        var other = await session.RequestAsync(id => $"<iq type='get' id='{id}' from='commeazy.test' to='push.commeazy.test'><query xmlns='jabber:iq:version'/></iq>");

        // Assert
        Assert.Equal("result", pong.Attr("type"));
        var identity = disco.Descendants(Ns.DiscoInfo + "identity").Single();
        Assert.Equal(("pubsub", "push"), (identity.Attr("category"), identity.Attr("type")));
        Assert.Contains(disco.Descendants(Ns.DiscoInfo + "feature"), f => f.Attr("var") == "urn:xmpp:push:0");
        AssertError(other, "cancel", "service-unavailable");
        Assert.Empty(bed.Prosody.ProtocolViolations);
    }

    [Fact]
    public async Task Link_NodeRestarts_ReconnectsAndServesAgain()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, ApnsTestBed.NewDeviceToken());
        await bed.Prosody.NextSessionAsync(Wait);

        // Act
        await bed.Prosody.GoDownAsync();
        await Eventually(() => bed.Links.Links[0].Status.State == LinkState.Connecting);
        var whileDown = await LinkHealthAsync(bed);
        bed.Prosody.ComeBack();
        var session = await bed.Prosody.NextSessionAsync(Wait);
        var reply = await session.PublishAsync(node, secret);

        // Assert
        Assert.Equal(HealthStatus.Unhealthy, whileDown.Status);
        Assert.Equal("result", reply.Attr("type"));
        Assert.Equal(HealthStatus.Healthy, (await LinkHealthAsync(bed)).Status);
    }

    [Fact]
    public async Task Link_PingUnanswered_DropsAndReconnects()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync(overrides: new Dictionary<string, string?>
        {
            ["Push:Component:PingInterval"] = "00:00:01",
            ["Push:Component:PingTimeout"] = "00:00:01",
        });
        var hung = await bed.Prosody.NextSessionAsync(Wait);
        hung.AnswerPings = false;

        // Act
        var closed = await hung.Closed.WaitAsync(Wait, TestContext.Current.CancellationToken);
        var next = await bed.Prosody.NextSessionAsync(Wait);

        // Assert
        Assert.Equal("closed", closed);
        Assert.NotSame(hung, next);
        Assert.Contains(hung.Received, s => s.Element(Ns.Ping + "ping") is not null);
    }

    [Fact]
    public async Task Link_StanzaOverTheLimit_ClosedWithPolicyViolationThenRelinked()
    {
        // Arrange
        await using var bed = await ComponentTestBed.StartAsync(overrides: new Dictionary<string, string?> { ["Push:Component:MaxStanzaBytes"] = "8192" });
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        await session.SendRawAsync($"<message from='commeazy.test' to='push.commeazy.test'><body>{new string('x', 64 * 1024)}</body></message>");
        var closed = await session.Closed.WaitAsync(Wait, TestContext.Current.CancellationToken);
        var next = await bed.Prosody.NextSessionAsync(Wait);

        // Assert
        Assert.True(closed == "policy-violation", $"closed: {closed}; received: {string.Join(" | ", session.Received.Select(e => e.ToString()))}");
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Link_Shutdown_AnswersThePublishInFlightThenClosesTheStream()
    {
        // Arrange
        var bed = await ComponentTestBed.StartAsync();
        var token = ApnsTestBed.NewDeviceToken();
        var (node, secret) = bed.Registrations.Add(PushPlatform.Apns, token);
        bed.Apns.Apns.Enqueue(token, ApnsFakeReply.Slow(TimeSpan.FromSeconds(1)));
        var session = await bed.Prosody.NextSessionAsync(Wait);

        // Act
        var reply = session.PublishAsync(node, secret);
        await Eventually(() => bed.Apns.Apns.AttemptsFor(token) == 1);
        var stopping = bed.DisposeAsync().AsTask();
        var answer = await reply;
        var closed = await session.Closed.WaitAsync(Wait, TestContext.Current.CancellationToken);
        await stopping;

        // Assert
        Assert.Equal("result", answer.Attr("type"));
        Assert.Equal("closed", closed);
    }

    private static void AssertError(XElement reply, string type, string condition)
    {
        Assert.Equal("error", reply.Attr("type"));
        var error = reply.Element(Ns.Component + "error");
        Assert.NotNull(error);
        Assert.Equal(type, error.Attr("type"));
        Assert.NotNull(error.Element(Ns.StanzaErrors + condition));
        Assert.False(string.IsNullOrWhiteSpace(error.Element(Ns.StanzaErrors + "text")?.Value));
    }

    private static async Task<HealthReportEntry> LinkHealthAsync(ComponentTestBed bed)
    {
        var report = await bed.Apns.Host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(r => r.Name == ComponentLinksHealthCheck.Name, TestContext.Current.CancellationToken);
        return report.Entries[ComponentLinksHealthCheck.Name];
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not become true in time");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
