using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Testing;

namespace CommEazy.Tests.PushGateway;

/// <summary>Checks that secrets (device tokens) never reach a log line, its state, scopes or exception, nor a trace.</summary>
internal static class PrivacyAssert
{
    public static void NoLogContains(FakeLogCollector logs, IReadOnlyCollection<string> secrets)
    {
        var records = logs.GetSnapshot();
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            var texts = new List<string?> { record.Message, record.Exception?.ToString() };
            texts.AddRange(record.StructuredState?.Select(kv => kv.Value) ?? []);
            texts.AddRange(record.Scopes.Select(scope => scope?.ToString()));
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(texts, text => text is not null && text.Contains(secret, StringComparison.OrdinalIgnoreCase));
            }
        }
    }

    public static void NoActivityContains(IEnumerable<Activity> activities, IReadOnlyCollection<string> secrets)
    {
        foreach (var activity in activities)
        {
            var texts = activity.TagObjects.Select(t => t.Value?.ToString()).Append(activity.DisplayName).Append(activity.OperationName).ToList();
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(texts, text => text is not null && text.Contains(secret, StringComparison.OrdinalIgnoreCase));
            }
        }
    }

    /// <summary>Every property name and string value in a JSON document, recursively.</summary>
    public static IEnumerable<string> NamesAndStrings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    yield return property.Name;
                    foreach (var inner in NamesAndStrings(property.Value))
                    {
                        yield return inner;
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var inner in NamesAndStrings(item))
                    {
                        yield return inner;
                    }
                }
                break;
            case JsonValueKind.String:
                yield return element.GetString()!;
                break;
        }
    }
}

/// <summary>Records the activities of every source while alive.</summary>
internal sealed class ActivityRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Activity> _stopped = new();

    public ActivityRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Stopped => [.. _stopped];

    public void Dispose() => _listener.Dispose();
}
