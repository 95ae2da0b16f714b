using System.Collections.Concurrent;

namespace CommEazy.Tests.Fakes;

/// <summary>
/// What a fake push provider answers per device token, as a test scripted it: queued replies first, one per request,
/// then a standing reply, else <paramref name="ok"/>. Also counts the requests each token received.
/// </summary>
internal sealed class ScriptedReplies<TReply>(TReply ok)
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<TReply>> _queued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TReply> _always = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    public void Enqueue(string deviceToken, TReply[] replies)
    {
        var queue = _queued.GetOrAdd(deviceToken, _ => new ConcurrentQueue<TReply>());
        foreach (var reply in replies)
        {
            queue.Enqueue(reply);
        }
    }

    public void Always(string deviceToken, TReply reply) => _always[deviceToken] = reply;

    public void Reset(string deviceToken)
    {
        _queued.TryRemove(deviceToken, out _);
        _always.TryRemove(deviceToken, out _);
    }

    /// <summary>Counts a request that arrived for <paramref name="deviceToken"/>.</summary>
    public void CountAttempt(string deviceToken) => _attempts.AddOrUpdate(deviceToken, 1, (_, n) => n + 1);

    public int AttemptsFor(string deviceToken) => _attempts.GetValueOrDefault(deviceToken);

    /// <summary>The reply for the next request to <paramref name="deviceToken"/> (takes a queued one if there is one).</summary>
    public TReply Next(string deviceToken) =>
        _queued.TryGetValue(deviceToken, out var queue) && queue.TryDequeue(out var queued) ? queued
        : _always.TryGetValue(deviceToken, out var always) ? always : ok;
}
