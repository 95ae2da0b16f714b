using Aspire.Hosting.Testing;
using CommEazy.Tests.Fixtures;

namespace CommEazy.Tests.Operations;

/// <summary>
/// Traces as the services export them over OTLP (received by the fixture's <see cref="OtlpReceiver"/>, where a normal
/// run's Aspire dashboard receives them): one sign-in is one trace from the AuthBridge's request to its PostgreSQL queries.
/// </summary>
[Collection(nameof(CommEazyCluster))]
public sealed class TraceTests(CommEazyAppFixture cluster)
{
    private const int ServerKind = 2; // SPAN_KIND_SERVER
    private const int ClientKind = 3; // SPAN_KIND_CLIENT

    [Fact]
    public async Task OneSignIn_IsOneTraceFromAuthBridgeToPostgres()
    {
        Assert.SkipWhen(DockerEnvironment.SkipReason is not null, DockerEnvironment.SkipReason ?? "");
        // Arrange
        using var authBridge = cluster.App.CreateHttpClient("authbridge", "http");
        var token = await AppSignIn.DevTokenAsync(authBridge, "TraceUid" + Guid.NewGuid().ToString("N")[..8], "+15550000601");

        var exportedBefore = cluster.Telemetry.Spans.Count;

        // Act: one sign-in.
        using var response = await AppSignIn.PostSessionAsync(authBridge, token);
        response.EnsureSuccessStatusCode();
        var session = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<AppSession>(response.Content, TestContext.Current.CancellationToken);

        // Assert: the AuthBridge exported a server span for the request...
        // (tests of this collection run one at a time: the only sign-in since the snapshot is this one)
        var request = await WaitForSpanAsync(exportedBefore, s => s.Service == "authbridge" && s.Kind == ServerKind && s.Name == "POST /v1/session");
        // ...and, in the same trace, the account provisioning and its PostgreSQL commands (Npgsql), all descending from it.
        var trace = await WaitForTraceAsync(request.TraceId, spans => spans.Any(s => s.Scope == "Npgsql"));
        var byId = trace.ToDictionary(s => s.SpanId);
        var database = trace.Where(s => s.Scope == "Npgsql").ToList();
        Assert.NotEmpty(database);
        Assert.All(database, s => Assert.Equal(ClientKind, s.Kind));
        Assert.All(database, s => Assert.Equal("postgresql", s.Attributes.GetValueOrDefault("db.system") ?? s.Attributes.GetValueOrDefault("db.system.name")));
        Assert.Contains(trace, s => s.Name == "provision account" && s.Scope == "CommEazy.AuthBridge");
        Assert.All(trace.Where(s => s != request), s => Assert.True(DescendsFrom(s, request, byId), $"span {s.Name} ({s.Scope}) is not under the request"));
        Assert.Single(trace, s => s.ParentSpanId.Length == 0 || !byId.ContainsKey(s.ParentSpanId));

        // Assert: no secret in any exported span of the trace (the ID token, the XMPP password).
        var exported = trace.SelectMany(s => s.Attributes.Values.Append(s.Name)).ToList();
        Assert.DoesNotContain(exported, v => v.Contains(token, StringComparison.Ordinal) || v.Contains(session!.Password, StringComparison.Ordinal));
    }

    private static bool DescendsFrom(ExportedSpan span, ExportedSpan root, Dictionary<string, ExportedSpan> byId)
    {
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == root.SpanId)
            {
                return true;
            }
        }
        return false;
    }

    private async Task<ExportedSpan> WaitForSpanAsync(int skip, Func<ExportedSpan, bool> match)
    {
        for (var i = 0; i < 60; i++)
        {
            if (cluster.Telemetry.Spans.Skip(skip).FirstOrDefault(match) is { } span)
            {
                return span;
            }
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        throw new Xunit.Sdk.XunitException("no such span exported within 30 s; exported: " +
            string.Join(", ", cluster.Telemetry.Spans.Select(s => $"{s.Service}:{s.Name}").Distinct().Take(40)));
    }

    private async Task<List<ExportedSpan>> WaitForTraceAsync(string traceId, Func<List<ExportedSpan>, bool> complete)
    {
        List<ExportedSpan> trace = [];
        for (var i = 0; i < 20; i++)
        {
            trace = [.. cluster.Telemetry.Spans.Where(s => s.TraceId == traceId)];
            if (complete(trace))
            {
                await Task.Delay(1000, TestContext.Current.CancellationToken); // the rest of the batch
                return [.. cluster.Telemetry.Spans.Where(s => s.TraceId == traceId)];
            }
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        throw new Xunit.Sdk.XunitException($"trace {traceId} incomplete: " + string.Join(", ", trace.Select(s => $"{s.Scope}:{s.Name}")));
    }
}
