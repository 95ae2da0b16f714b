using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace CommEazy.Tests.Cluster;

/// <summary>
/// A hand-driven server-to-server XMPP peer (RFC 6120): what an intruder on the cluster network could send to a
/// node's s2s port. It speaks just enough of the protocol to try every way in.
/// </summary>
internal sealed partial class RawS2sPeer(string host, int port) : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp = new();
    private Stream _stream = Stream.Null;
    private readonly StringBuilder _received = new();

    /// <summary>Everything the node has sent so far.</summary>
    public string Received => _received.ToString();

    /// <summary>True once the node has closed the connection on us.</summary>
    public bool Closed { get; private set; }

    public async Task ConnectAsync()
    {
        await _tcp.ConnectAsync(host, port);
        _stream = _tcp.GetStream();
    }

    /// <summary>Opens a stream from <paramref name="from"/> to the node's cluster host <paramref name="to"/> and returns its features.</summary>
    public async Task<string> OpenStreamAsync(string from, string to)
    {
        await SendAsync("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' " +
            $"xmlns:db='jabber:server:dialback' from='{from}' to='{to}' version='1.0'>");
        return await ReadUntilAsync(FeaturesEnd());
    }

    /// <summary>Upgrades to TLS (STARTTLS), presenting <paramref name="clientCertificate"/> if given; accepts any server certificate.</summary>
    public async Task StartTlsAsync(string serverName, X509Certificate2? clientCertificate)
    {
        await SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        await ReadUntilAsync(Proceed());
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            });
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            Closed = true;
        }
        _stream = tls;
    }

    /// <summary>Sends raw XML; a connection the node has already closed is noted, not thrown.</summary>
    public async Task SendAsync(string xml)
    {
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(xml));
            await _stream.FlushAsync();
        }
        catch (IOException)
        {
            Closed = true;
        }
    }

    /// <summary>Reads until <paramref name="pattern"/> matches what arrived, the node closes the stream, or the timeout passes; returns what arrived.</summary>
    public async Task<string> ReadUntilAsync(Regex pattern)
    {
        var start = _received.Length;
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(ReadTimeout);
        while (!pattern.IsMatch(_received.ToString(start, _received.Length - start)))
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                Closed = true;
                break;
            }
            if (read == 0)
            {
                Closed = true;
                break;
            }
            _received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return _received.ToString(start, _received.Length - start);
    }

    /// <summary>A certificate that names <paramref name="name"/> but comes from a CA the cluster does not trust.</summary>
    public static X509Certificate2 ForeignCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // SslStream needs the key in a form the platform can use for client authentication.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    [GeneratedRegex(@"</stream:features>|<stream:features[^>]*/>|</stream:stream>|<stream:error")]
    public static partial Regex FeaturesEnd();

    [GeneratedRegex(@"<proceed|<failure|</stream:stream>|<stream:error")]
    private static partial Regex Proceed();

    [GeneratedRegex(@"</stream:stream>|<stream:error[\s\S]*?</stream:error>")]
    public static partial Regex StreamEnd();

    [GeneratedRegex(@"<success|<failure[\s\S]*?</failure>|</stream:stream>|<stream:error")]
    public static partial Regex SaslOutcome();
}
