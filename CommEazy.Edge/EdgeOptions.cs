using System.ComponentModel.DataAnnotations;

namespace CommEazy.Edge;

/// <summary>Where the Edge listens, where it sends clients, and what it tells them.</summary>
internal sealed class EdgeOptions
{
    public const string SectionName = "Edge";

    /// <summary>The WebSocket URL apps are told to use (host-meta), e.g. <c>wss://chat.example.com/xmpp-websocket</c>.</summary>
    [Required, RegularExpression(@"^wss?://[^/?#\s]+/\S*\z", ErrorMessage = "Edge:PublicWebSocketUrl must be an absolute ws:// or wss:// URL")]
    public string PublicWebSocketUrl { get; set; } = "";

    /// <summary>The port of the public listener; <c>/health</c> and host-meta answer there, everything but <c>/xmpp-websocket</c> is 403.</summary>
    [Range(1, 65535)]
    public int PublicPort { get; set; }

    /// <summary>The port of the public TLS listener, when the Edge has a certificate (e.g. the ASP.NET Core development certificate).</summary>
    [Range(1, 65535)]
    public int? PublicHttpsPort { get; set; }

    /// <summary>The Prosody nodes, each reached over HTTP/1.1 at its WebSocket module.</summary>
    [Required, MinLength(1)]
    public List<ProsodyNode> Nodes { get; set; } = [];

    /// <summary>How long an upgraded connection may carry no byte in either direction before the Edge cuts it.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(330);

    /// <summary>How long the Edge waits for a node to accept a connection before treating the attempt as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan NodeConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a node may take to answer a WebSocket upgrade before the client is told 504 and retries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the Edge pings each app (RFC 6455 ping). With <see cref="ClientPongTimeout"/> it bounds how long a
    /// vanished app (no FIN) stays connected: interval + timeout, then Prosody's 30 s hibernation, then offline.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan ClientPingInterval { get; set; } = TimeSpan.FromSeconds(7);

    /// <summary>How long an app has to answer a ping before the Edge treats it as gone.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ClientPongTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the Edge pings the node side of each connection (a node that vanished silently ends its apps' connections).</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan NodePingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a node has to answer a ping.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan NodePongTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// True (the default): the Edge ends each app's WebSocket and relays it (<see cref="Relay.WebSocketRelay"/>), so it
    /// pings apps, admits connections per node and bounds message size. False: YARP forwards the upgraded connection
    /// byte for byte, as before the relay: no pings (an app that vanished without a FIN is never noticed), no admission
    /// control, no message limit. Only for measuring what the relay costs (the connection-cost benchmark), not for production.
    /// </summary>
    public bool Relay { get; set; } = true;

    /// <summary>
    /// The largest message an app may send; the relay passes each on to the node as one frame. Prosody's frame buffer
    /// (<c>websocket_frame_buffer_limit</c>, containers/prosody) is twice this, since it counts headers and the next frame's start.
    /// </summary>
    [Range(1024, 1 << 20)]
    public int MaxMessageBytes { get; set; } = 32768;

    /// <summary>New connections per second each node is given (a node takes ~75 logins/s: DESIGN.md §4).</summary>
    [Range(10, 10000)]
    public int AdmissionRatePerNode { get; set; } = 60;

    /// <summary>Connections a node may take at once beyond its rate.</summary>
    [Range(1, 10000)]
    public int AdmissionBurstPerNode { get; set; } = 20;

    /// <summary>Connections that may wait for their turn per node; beyond it, 503 with Retry-After.</summary>
    [Range(0, 100000)]
    public int AdmissionQueuePerNode { get; set; } = 120;

    /// <summary>Up to this many seconds are added at random to Retry-After, so refused apps do not return in step.</summary>
    [Range(0, 600)]
    public int AdmissionRetryJitterSeconds { get; set; } = 5;

    /// <summary>The public TLS certificate (PEM, or PFX without <see cref="PublicCertificateKeyPath"/>); without one, HTTPS uses the development certificate where there is one.</summary>
    public string? PublicCertificatePath { get; set; }

    /// <summary>The certificate's private key (PEM).</summary>
    public string? PublicCertificateKeyPath { get; set; }

    /// <summary>Addresses or CIDRs of proxies in front of the Edge (CDN, load balancer) whose X-Forwarded-For is believed; none by default.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Concurrent connections one client address may hold (carrier-grade NAT puts many phones behind one address).</summary>
    [Range(1, 1_000_000)]
    public int ConnectionsPerAddress { get; set; } = 200;

    /// <summary>How often the Edge reads the nodes' heartbeats from PostgreSQL.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan MembershipPoll { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A node whose last heartbeat is older than this is not a member (the nodes use the same TTL).</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan MemberTtl { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Authorises the Edge's drain/undrain calls to a node's internal <c>/cluster</c> endpoint.</summary>
    [MinLength(16)]
    public string? ClusterAdminSecret { get; set; }
}

/// <summary>One Prosody node behind the Edge.</summary>
internal sealed class ProsodyNode
{
    /// <summary>The node id (the Aspire resource name, e.g. <c>prosody-1</c>); also the YARP destination id.</summary>
    [Required, RegularExpression(@"^[a-z0-9-]{1,64}\z")]
    public string Id { get; set; } = "";

    /// <summary>The node's HTTP base address, e.g. <c>http://prosody-1:5280</c>.</summary>
    [Required, Url]
    public string Address { get; set; } = "";
}
