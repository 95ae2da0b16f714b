using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace CommEazy.Tests.Fixtures;

/// <summary>What the app gets from the AuthBridge: the XMPP credentials and where to connect.</summary>
public sealed record AppSession(string Jid, string Password, [property: JsonPropertyName("websocketUrl")] string WebSocketUrl, ScramKeys? Scram = null);

/// <summary>The session's SCRAM-SHA-1 keys (base64), which spare xmpp.js its slow key derivation at every login.</summary>
public sealed record ScramKeys(string Salt, int Iterations, string ClientKey, string ServerKey);

/// <summary>Signs a user in the way the app does: a phone-auth ID token (here from the dev issuer) exchanged for a session.</summary>
internal static class AppSignIn
{
    public static async Task<string> DevTokenAsync(HttpClient authBridge, string uid, string phoneNumber)
    {
        using var response = await authBridge.PostAsJsonAsync("/dev/token", new { uid, phoneNumber });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<DevToken>();
        return body!.IdToken;
    }

    public static async Task<HttpResponseMessage> PostSessionAsync(HttpClient authBridge, string? idToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/session");
        if (idToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", idToken);
        }
        return await authBridge.SendAsync(request);
    }

    public static async Task<AppSession> SessionAsync(HttpClient authBridge, string uid, string phoneNumber)
    {
        var token = await DevTokenAsync(authBridge, uid, phoneNumber);
        using var response = await PostSessionAsync(authBridge, token);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<AppSession>())!;
    }

    private sealed record DevToken(string IdToken);
}
