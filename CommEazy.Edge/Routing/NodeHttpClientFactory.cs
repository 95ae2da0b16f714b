using Yarp.ReverseProxy.Forwarder;

namespace CommEazy.Edge.Routing;

/// <summary>
/// The Edge's connections to Prosody nodes. A node that died without closing its sockets (a killed container, a
/// lost host) never answers a SYN: without a connect timeout an upgrade to it would hang until the client gives up.
/// With one, the attempt fails fast, passive health marks the node down, and the client's retry goes elsewhere.
/// </summary>
internal sealed class NodeHttpClientFactory(Microsoft.Extensions.Options.IOptions<EdgeOptions> options) : ForwarderHttpClientFactory
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = options.Value.NodeConnectTimeout;
    }
}
