using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Keeps secrets out of HttpClient spans. APNs takes the device token in the path (<c>/3/device/&lt;token&gt;</c>), and
/// a device token is a secret (whoever has it can push to the phone): a push trace (PushGateway → APNs) must show the
/// request without it. FCM carries the token in the body, which is never traced.
/// </summary>
internal static partial class TraceRedaction
{
    public const string Redacted = "{token}";

    /// <summary>Rewrites <c>url.full</c> and <c>url.path</c> of an outgoing request whose path carries a device token.</summary>
    public static void EnrichOutgoingRequest(Activity activity, HttpRequestMessage request)
    {
        if (request.RequestUri is not { IsAbsoluteUri: true } uri || !DeviceTokenPath().IsMatch(uri.AbsolutePath))
        {
            return;
        }
        var path = DeviceTokenPath().Replace(uri.AbsolutePath, "$1" + Redacted);
        activity.SetTag("url.path", path);
        activity.SetTag("url.full", $"{uri.Scheme}://{uri.Authority}{path}");
    }

    [GeneratedRegex("^(/3/device/)[^/?]+")]
    private static partial Regex DeviceTokenPath();
}
