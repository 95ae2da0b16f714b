using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace CommEazy.AuthBridge.Accounts;

/// <summary>
/// The first step of an erasure: asks the user's home node to delete the account the way Prosody's own admin tools do
/// (<c>DELETE /cluster/accounts/&lt;localpart&gt;</c> on mod_commeazy_cluster_admin), so the user's live sessions end
/// at once, contacts are unsubscribed (their rosters forget the user) and PEP data is purged. A node that is not the
/// home ends any session the user has there and names the home, which is asked next. Only then are the remaining
/// rows deleted from SQL. If no node answers, the SQL deletion still runs: the data goes, but contacts are not told
/// and a session still open lives until it disconnects; that is logged.
/// </summary>
internal sealed class ClusterAccountDeletion(HttpClient http, IOptions<ClusterOptions> options, ILogger<ClusterAccountDeletion> logger)
{
    /// <summary>Deletes the account through its home node. Returns true when a node did it (or found no such account).</summary>
    public async Task<bool> DeleteAsync(string localpart, CancellationToken cancellationToken)
    {
        var nodes = options.Value.Nodes;
        if (nodes.Count == 0 || options.Value.AdminSecret is not { } secret)
        {
            return false;
        }
        var asked = new HashSet<string>(StringComparer.Ordinal);
        var next = nodes[0];
        while (next is not null && asked.Add(next.Id))
        {
            var (done, home) = await AskAsync(next, localpart, secret, cancellationToken);
            if (done)
            {
                return true;
            }
            next = nodes.FirstOrDefault(n => n.Id == home) ?? nodes.FirstOrDefault(n => !asked.Contains(n.Id));
        }
        Log.ClusterErasureIncomplete(logger, asked.Count);
        return false;
    }

    private async Task<(bool Done, string? Home)> AskAsync(ClusterNode node, string localpart, string secret, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(new Uri(node.Address), $"/cluster/accounts/{Uri.EscapeDataString(localpart)}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                var answer = await response.Content.ReadFromJsonAsync<NotHome>(cancellationToken);
                return (false, answer?.Home);
            }
            if (response.IsSuccessStatusCode)
            {
                return (true, null);
            }
            Log.ClusterErasureRefused(logger, node.Id, (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            Log.ClusterErasureUnreachable(logger, node.Id, e.GetType().Name);
        }
        return (false, null);
    }

    private sealed record NotHome(string? Home);
}
