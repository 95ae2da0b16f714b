using System.Net;
using System.Net.Http.Headers;

namespace CommEazy.Tests.AuthBridge.Fakes;

/// <summary>Answers every request with the JWKS it holds (and a Cache-Control max-age), counting the requests.</summary>
internal sealed class StubKeysHandler : HttpMessageHandler, IHttpClientFactory
{
    public string Jwks { get; set; } = """{"keys":[]}""";

    public TimeSpan? MaxAge { get; set; } = TimeSpan.FromHours(6);

    public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

    public int Requests { get; private set; }

    public HttpClient CreateClient(string name) => new(this, disposeHandler: false);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests++;
        var response = new HttpResponseMessage(Status) { Content = new StringContent(Jwks, System.Text.Encoding.UTF8, "application/json") };
        if (MaxAge is { } maxAge)
        {
            response.Headers.CacheControl = new CacheControlHeaderValue { Public = true, MaxAge = maxAge, MustRevalidate = true };
        }
        return Task.FromResult(response);
    }
}
