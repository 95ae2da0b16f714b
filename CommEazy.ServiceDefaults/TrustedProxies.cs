using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The proxies (a CDN, a load balancer) whose <c>X-Forwarded-For</c> a public service believes, written as addresses
/// or CIDRs (<c>10.0.0.1</c>, <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>). Nothing is trusted by default, not even
/// loopback: a client that is not one of them cannot claim another address.
/// </summary>
public static class TrustedProxies
{
    /// <summary>Parses one entry: an address (a network of one) or a CIDR (host bits past the prefix are dropped: <c>10.0.0.1/8</c> is <c>10.0.0.0/8</c>).</summary>
    public static bool TryParse(string? value, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }
        // IPAddress also reads legacy IPv4 forms ("10.0.0" is 10.0.0.0, "10" is 0.0.0.10): an IPv4 entry needs four parts.
        var address = value.Split('/')[0];
        if (!address.Contains(':') && address.Count(c => c == '.') != 3)
        {
            return false;
        }
        if (value.Contains('/'))
        {
            return IPNetwork.TryParse(value, out network);
        }
        if (!IPAddress.TryParse(value, out var single))
        {
            return false;
        }
        network = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32);
        return true;
    }

    /// <summary>
    /// Believes the last <c>X-Forwarded-For</c> hop only from <paramref name="proxies"/> and from nobody else (the
    /// framework's default trusts loopback); an entry that does not parse throws, naming it. With no proxy the header
    /// is not read at all: the middleware checks the sender only when some proxy or network is known, and with both
    /// lists empty it would believe anybody.
    /// </summary>
    public static ForwardedHeadersOptions TrustOnly(this ForwardedHeadersOptions options, IEnumerable<string> proxies)
    {
        options.ForwardLimit = 1;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            options.KnownIPNetworks.Add(TryParse(proxy, out var network)
                ? network
                : throw new FormatException($"trusted proxy '{proxy}' is not an IP address or a CIDR such as 10.0.0.0/8"));
        }
        options.ForwardedHeaders = options.KnownIPNetworks.Count > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
        return options;
    }
}
