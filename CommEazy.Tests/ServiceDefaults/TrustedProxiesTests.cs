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

    [Fact]
    public void TrustOnly_BadEntry_ThrowsNamingIt()
    {
        // Act
        var failure = Assert.Throws<FormatException>(() => new ForwardedHeadersOptions().TrustOnly(["10.0.0.0/8", "lb.internal"]));

        // Assert
        Assert.Contains("'lb.internal'", failure.Message);
    }
}
