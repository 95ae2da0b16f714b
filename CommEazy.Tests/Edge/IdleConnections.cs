using System.Net;
using System.Net.WebSockets;

namespace CommEazy.Tests.Edge;

/// <summary>
/// Many idle app connections through an Edge, opened as apps open them (<see cref="EdgeRequests.OpenAsync"/>, at most
/// 50 at a time) and kept open with a receive pending on each, so their pongs answer the Edge's pings. Disposing aborts
/// them all, as apps that vanish.
/// </summary>
internal sealed class IdleConnections : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _receiving;

    private IdleConnections(ClientWebSocket[] sockets, CancellationToken ct)
    {
        Sockets = sockets;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _receiving = [.. sockets.Select(s => EdgeRequests.KeepReceivingAsync(s, _stop.Token))];
    }

    public IReadOnlyList<ClientWebSocket> Sockets { get; }

    public static async Task<IdleConnections> OpenAsync(IPAddress address, int port, string? forwardedFor, int count, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(50);
        var opened = new System.Collections.Concurrent.ConcurrentBag<ClientWebSocket>();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    opened.Add(await EdgeRequests.OpenAsync(address, port, forwardedFor, ct));
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        catch
        {
            foreach (var socket in opened)
            {
                socket.Abort();
                socket.Dispose();
            }
            throw;
        }
        return new IdleConnections([.. opened], ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in Sockets)
        {
            socket.Abort();
            socket.Dispose();
        }
        await Task.WhenAll(_receiving);
        _stop.Dispose();
    }
}
