using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// The Edge's public TLS listener, with the certificate the AppHost is given (<c>CommEazy:Edge:PublicCertificatePath</c>):
/// TLS 1.3, or TLS 1.2 with ECDHE key exchange and AES-GCM, and nothing else. Each refusal is checked against a control
/// server in the test (same certificate, only the offered suite allowed) that accepts the very same client, so a refusal
/// means the Edge said no, not that the client could not offer the suite.
/// The suites are chosen per connection with <see cref="CipherSuitesPolicy"/>, which Windows does not have (there the
/// OS policy decides; the CI machine is Linux).
/// </summary>
[Collection(nameof(CommEazyCluster))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EdgeTlsTests(CommEazyAppFixture cluster)
{
    /// <summary>The Edge's public HTTPS port: the AppHost adds it because the Edge is given a certificate.</summary>
    private int EdgeHttpsPort => cluster.App.GetEndpoint("edge", "https").Port;

    [Theory]
    [InlineData(SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256)]
    [InlineData(SslProtocols.Tls13, TlsCipherSuite.TLS_AES_256_GCM_SHA384)]
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)]
    public async Task AllowedProtocolAndSuite_Handshakes_AndServesHealth(SslProtocols protocol, TlsCipherSuite suite)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        await using var tls = await HandshakeAsync(EdgeHttpsPort, protocol, suite);
        await tls.WriteAsync(Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), TestContext.Current.CancellationToken);
        var answer = await new StreamReader(tls).ReadToEndAsync(TestContext.Current.CancellationToken);

        Assert.Equal(protocol, tls.SslProtocol);
        Assert.Equal(suite, tls.NegotiatedCipherSuite);
        Assert.StartsWith("HTTP/1.1 200", answer);
        Assert.Contains($"\"{cluster.Nodes[0]}\"", answer);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256)] // ECDHE, but not AES-GCM
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384)]
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)]
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256)] // AES-GCM, but RSA key exchange (no forward secrecy)
    [InlineData(SslProtocols.Tls12, TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384)]
    [InlineData(SslProtocols.Tls13, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256)] // TLS 1.3, but not AES-GCM
    public async Task ForbiddenSuite_IsRefusedByTheEdge_ThoughTheClientReallyOffersIt(SslProtocols protocol, TlsCipherSuite suite)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        // Control: a server with the Edge's certificate that allows just this suite takes the same client.
        var negotiated = await ControlHandshakeAsync(protocol, suite);
        Assert.Equal(suite, negotiated);

        var refusal = await Assert.ThrowsAnyAsync<Exception>(async () => await (await HandshakeAsync(EdgeHttpsPort, protocol, suite)).DisposeAsync());
        Assert.True(refusal is AuthenticationException or IOException, $"expected a failed handshake, got {refusal}");
    }

    [Fact]
    public async Task EdgeServesTheConfiguredCertificate()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        await using var tls = await HandshakeAsync(EdgeHttpsPort, SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256);

        using var configured = cluster.EdgeCertificate.LoadServerCertificate();
        Assert.Equal(cluster.EdgeHttpsPort, EdgeHttpsPort);
        Assert.Equal(configured.Thumbprint, tls.RemoteCertificate?.GetCertHashString());
    }

    [Fact]
    public async Task XmppJsClients_ChatOverWssThroughTheEdge()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange: the sessions as the AuthBridge hands them out, pointed at the TLS listener.
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var alice = OverTls(await AppSignIn.SessionAsync(authBridge, "tlsAlice" + Guid.NewGuid().ToString("N")[..8], "+15550000031"));
        var bob = OverTls(await AppSignIn.SessionAsync(authBridge, "tlsBob" + Guid.NewGuid().ToString("N")[..8], "+15550000032"));
        var body = $"over-tls-{Guid.NewGuid():N}";

        // Act: the real xmpp.js client, trusting the test CA the way a phone trusts a public one.
        var result = await XmppScenario.RunAsync("chat.mjs", new { alice, bob, body }, TimeSpan.FromSeconds(90),
            new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = cluster.EdgeCertificate.CaPath });

        // Assert
        Assert.StartsWith($"wss://localhost:{EdgeHttpsPort}/xmpp-websocket?u=", alice.WebSocketUrl);
        Assert.True((bool)result["presenceExchanged"]!);
        Assert.Equal(body, (string?)result["received"]!["body"]);
        Assert.Equal("reply:" + body, (string?)result["reply"]!["body"]);
    }

    private AppSession OverTls(AppSession session)
    {
        var plain = new Uri(session.WebSocketUrl);
        Assert.Equal(cluster.EdgePort, plain.Port);
        return session with { WebSocketUrl = $"wss://localhost:{EdgeHttpsPort}{plain.PathAndQuery}" };
    }

    /// <summary>A TLS client that offers exactly <paramref name="protocol"/> and <paramref name="suite"/> and trusts only the test CA.</summary>
    private async Task<SslStream> HandshakeAsync(int port, SslProtocols protocol, TlsCipherSuite suite)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = protocol,
                CipherSuitesPolicy = new CipherSuitesPolicy([suite]),
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => cluster.EdgeCertificate.Validate(certificate, errors),
            }, TestContext.Current.CancellationToken);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Runs the same client against a server of the test's own that allows only <paramref name="suite"/>; returns what was negotiated.</summary>
    private async Task<TlsCipherSuite> ControlHandshakeAsync(SslProtocols protocol, TlsCipherSuite suite)
    {
        using var certificate = cluster.EdgeCertificate.LoadServerCertificate();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            await using var server = new SslStream(accepted.GetStream());
            await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = protocol,
                CipherSuitesPolicy = new CipherSuitesPolicy([suite]),
            }, TestContext.Current.CancellationToken);
            await server.WriteAsync(new byte[] { 1 }, TestContext.Current.CancellationToken);
        });
        await using var client = await HandshakeAsync(((IPEndPoint)listener.LocalEndpoint).Port, protocol, suite);
        Assert.Equal(1, client.ReadByte());
        await serving;
        return client.NegotiatedCipherSuite;
    }
}
