using Aspire.Hosting.Testing;
using System.Net;
using System.Text;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Edge;

/// <summary>
/// The public listener's request limits (16 KiB of headers, 40 headers, a 4 KiB request line, a 16 KiB body): apps send
/// a WebSocket upgrade and nothing of size, so anything bigger is refused with the status that says why. Each limit has
/// a request just inside it that is served, so the refusal is the limit's doing.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class EdgeRequestLimitsTests(CommEazyAppFixture cluster)
{
    /// <summary>The Edge's public HTTP port (asking the app for it surfaces a cluster that failed to start).</summary>
    private int EdgePort => cluster.App.GetEndpoint("edge", "http").Port;

    [Theory]
    [InlineData(12 * 1024, 200)]
    [InlineData(20 * 1024, 431)]
    public async Task HeadersOverSixteenKiB_Are431(int headerBytes, int expected)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var (status, _) = await GetHealthAsync(extraHeaders: $"X-Pad: {new string('a', headerBytes)}\r\n");

        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData(30, 200)]
    [InlineData(60, 431)]
    public async Task MoreThanFortyHeaders_Are431(int count, int expected)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var (status, _) = await GetHealthAsync(extraHeaders: string.Concat(Enumerable.Range(0, count).Select(i => $"X-Header-{i}: {i}\r\n")));

        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData(3 * 1024, 200)]
    [InlineData(5 * 1024, 414)]
    public async Task RequestLineOverFourKiB_Is414(int queryBytes, int expected)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");

        var (status, _) = await GetHealthAsync(query: "?pad=" + new string('a', queryBytes));

        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData(8 * 1024, 405)] // within the limit: /health takes GET and HEAD only
    [InlineData(20 * 1024, 413)]
    public async Task BodyOverSixteenKiB_Is413(int bodyBytes, int expected)
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var body = Encoding.ASCII.GetBytes(new string('a', bodyBytes));

        var (status, response) = await EdgeRequests.SendAsync(IPAddress.Loopback, EdgePort,
            $"POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n", body);

        Assert.Equal(expected, status);
        Assert.DoesNotContain("Server:", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ChunkedBodyOverSixteenKiB_Is413()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        var chunk = new string('a', 4096);
        var chunked = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"{chunk.Length:x}\r\n{chunk}\r\n", 6)) + "0\r\n\r\n");

        var (status, _) = await EdgeRequests.SendAsync(IPAddress.Loopback, EdgePort,
            "POST /nothing-here HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", chunked);

        Assert.Equal(413, status);
    }

    private Task<(int Status, string Response)> GetHealthAsync(string query = "", string extraHeaders = "") =>
        EdgeRequests.SendAsync(IPAddress.Loopback, EdgePort,
            $"GET /health{query} HTTP/1.1\r\nHost: localhost\r\n{extraHeaders}Connection: close\r\n\r\n");
}
