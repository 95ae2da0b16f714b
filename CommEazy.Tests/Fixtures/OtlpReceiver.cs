using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CommEazy.Tests.Fixtures;

/// <summary>One exported span, as the OTLP export of a service carried it.</summary>
public sealed record ExportedSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OTLP/HTTP (protobuf) receiver on loopback that the cluster's services export to in tests, so tests can assert on
/// the spans they really export (the Aspire dashboard receives the same export in a normal run). Logs and metrics
/// exports are accepted and dropped; trace exports are decoded from the wire format (opentelemetry-proto trace.proto).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ExportedSpan> _spans = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Endpoint => new(_app.Urls.First());

    public IReadOnlyList<ExportedSpan> Spans => [.. _spans];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            foreach (var span in DecodeTraces(body.ToArray()))
            {
                receiver._spans.Enqueue(span);
            }
            return Results.Bytes([], "application/x-protobuf"); // an empty ExportTraceServiceResponse: all accepted
        });
        app.MapPost("/v1/{signal}", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    // ExportTraceServiceRequest: 1 resource_spans. ResourceSpans: 1 resource, 2 scope_spans. Resource: 1 attributes.
    // ScopeSpans: 1 scope (InstrumentationScope: 1 name), 2 spans. Span: 1 trace_id, 2 span_id, 4 parent_span_id,
    // 5 name, 6 kind, 9 attributes. KeyValue: 1 key, 2 value (AnyValue: 1 string, 2 bool, 3 int, 4 double).
    private static IEnumerable<ExportedSpan> DecodeTraces(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = Fields(resourceSpans, 1).SelectMany(r => Fields(r, 1)).Select(KeyValue)
                .FirstOrDefault(kv => kv.Key == "service.name").Value ?? "";
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = Fields(scopeSpans, 1).Select(s => Text(s, 1)).FirstOrDefault() ?? "";
                foreach (var span in Fields(scopeSpans, 2))
                {
                    var attributes = new Dictionary<string, string>();
                    foreach (var (key, value) in Fields(span, 9).Select(KeyValue))
                    {
                        attributes[key] = value;
                    }
                    yield return new ExportedSpan(service, scope, Hex(span, 1), Hex(span, 2), Hex(span, 4), Text(span, 5) ?? "", (int)(Varint(span, 6) ?? 0), attributes);
                }
            }
        }
    }

    private static (string Key, string Value) KeyValue(byte[] message)
    {
        var value = Fields(message, 2).FirstOrDefault();
        var text = value is null ? "" : Text(value, 1) ?? Varint(value, 3)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return (Text(message, 1) ?? "", text);
    }

    /// <summary>The length-delimited values of field <paramref name="number"/> in a protobuf message.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return found;
    }

    /// <summary>The varint field <paramref name="number"/> of a protobuf message, or null when it is absent.</summary>
    private static ulong? Varint(byte[] message, int number)
    {
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
            {
                return input.ReadUInt64();
            }
            input.SkipLastField();
        }
        return null;
    }

    private static string? Text(byte[] message, int number) =>
        Fields(message, number).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault();

    private static string Hex(byte[] message, int number) =>
        Fields(message, number).Select(Convert.ToHexStringLower).FirstOrDefault() ?? "";
}
