using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Hosting;

namespace CommEazy.Tests.ServiceDefaults;

/// <summary>The trusted-proxy list the Edge and the AuthBridge share: addresses or CIDRs, and nobody else trusted.</summary>
public sealed class TrustedProxiesTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1/32")]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("2001:db8::1", "2001:db8::1/128")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    public void TryParse_AddressOrCidr_IsANetwork(string entry, string expected)
    {
        // Act
        var parsed = TrustedProxies.TryParse(entry, out var network);

        // Assert
        Assert.True(parsed);
        Assert.Equal(System.Net.IPNetwork.Parse(expected), network);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("proxy.example")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0")]
    [InlineData("10")]
    [InlineData("10.0/8")]
    public void TryParse_Garbage_IsRefused(string entry) => Assert.False(TrustedProxies.TryParse(entry, out _));

    [Fact]
    public void TrustOnly_ReplacesTheLoopbackDefault()
    {
        // Arrange: the framework's default trusts loopback.
        var options = new ForwardedHeadersOptions();

        // Act
        options.TrustOnly(["10.0.0.0/8"]);

        // Assert
        Assert.Empty(options.KnownProxies);
        Assert.Equal([System.Net.IPNetwork.Parse("10.0.0.0/8")], options.KnownIPNetworks);
        Assert.Equal(ForwardedHeaders.XForwardedFor, options.ForwardedHeaders);
        Assert.Equal(1, options.ForwardLimit);
    }

    [Theory]
    [InlineData(new string[0], "192.0.2.10", "192.0.2.10")] // no proxy: the header is ignored, whoever sends it
    [InlineData(new[] { "10.0.0.0/8" }, "192.0.2.10", "192.0.2.10")] // a sender that is not a trusted proxy
    [InlineData(new[] { "10.0.0.0/8" }, "10.1.2.3", "203.0.113.7")] // a trusted proxy: its client counts
    public async Task TrustOnly_ForwardedFor_BelievedOnlyFromATrustedProxy(string[] proxies, string sender, string expected)
    {
        // Arrange: the framework's middleware with these options, and a request claiming to be for 203.0.113.7.
        var options = new ForwardedHeadersOptions().TrustOnly(proxies);
        IPAddress? seen = null;
        var middleware = new ForwardedHeadersMiddleware(context => { seen = context.Connection.RemoteIpAddress; return Task.CompletedTask; },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Microsoft.Extensions.Options.Options.Create(options));
        var request = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        request.Connection.RemoteIpAddress = IPAddress.Parse(sender);
        request.Request.Headers["X-Forwarded-For"] = "203.0.113.7";

        // Act
        await middleware.Invoke(request);

        // Assert
        Assert.Equal(IPAddress.Parse(expected), seen);
    }

    [Fact]
    public void TrustOnly_BadEntry_ThrowsNamingIt()
    {
        // Act
        var failure = Assert.Throws<FormatException>(() => new ForwardedHeadersOptions().TrustOnly(["10.0.0.0/8", "lb.internal"]));

        // Assert
        Assert.Contains("'lb.internal'", failure.Message);
    }
}
