using CommEazy.AuthBridge.Apis;
using CommEazy.Cluster;

namespace CommEazy.Tests.AuthBridge;

/// <summary>The session's <c>websocketUrl</c> carries the user key the Edge routes by, and nothing that identifies the user.</summary>
public sealed class SessionWebSocketUrlTests
{
    private const string RoutingKey = "test-routing-key-not-a-secret-0123456789";

    [Fact]
    public void WebSocketUrlFor_BareJid_AppendsUserKeyAsU()
    {
        // Act
        var url = SessionApi.WebSocketUrlFor("ws://localhost:8080/xmpp-websocket", RoutingKey, "alice@commeazy.local");

        // Assert: the shared vector's u for alice.
        Assert.Equal("ws://localhost:8080/xmpp-websocket?u=f9359962ee24d4eb2e5b31207e55c6b7", url);
    }

    [Fact]
    public void WebSocketUrlFor_UrlWithQuery_KeepsItAndAddsU()
    {
        // Act
        var url = SessionApi.WebSocketUrlFor("wss://chat.example.com/xmpp-websocket?v=2", RoutingKey, "bob@commeazy.local");

        // Assert
        Assert.Equal("wss://chat.example.com/xmpp-websocket?v=2&u=" + UserKey.Derive(RoutingKey, "bob@commeazy.local"), url);
    }

    [Fact]
    public void WebSocketUrlFor_AnyUser_ShowsNeitherLocalpartNorDomain()
    {
        // Act
        var url = SessionApi.WebSocketUrlFor("ws://edge/xmpp-websocket", RoutingKey, ".alice-40x@commeazy.local");

        // Assert
        var u = new Uri(url).Query;
        Assert.DoesNotContain("alice", u, StringComparison.Ordinal);
        Assert.DoesNotContain("commeazy", u, StringComparison.Ordinal);
        Assert.True(UserKey.IsValid(u.AsSpan("?u=".Length)));
    }
}
