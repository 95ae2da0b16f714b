using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CommEazy.AuthBridge.Push;

/// <summary>
/// <c>POST /v1/push/registrations</c>: the device's push token and where it belongs. Unknown members are refused
/// (there is no way to name another owner: the owner is always the caller).
/// </summary>
/// <param name="Platform"><c>apns</c> (alert token), <c>apns-voip</c> (PushKit token, calls only) or <c>fcm</c>.</param>
/// <param name="Token">The token the OS handed the app: hex for APNs, FCM's registration token for FCM.</param>
/// <param name="AppId">The iOS bundle id (the APNs topic) or the Android package name.</param>
/// <param name="Environment"><c>production</c> (default) or, for APNs, <c>sandbox</c> (development builds).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record PushRegistrationRequest(string? Platform, string? Token, string? AppId, string? Environment);

/// <summary>A validated registration request, normalised (APNs tokens in lowercase hex).</summary>
internal sealed record PushDevice(string Platform, string Token, string AppId, string Environment);

/// <summary>The checks a registration request must pass; every message names the field and never echoes the token.</summary>
internal static partial class PushRegistrationValidator
{
    public const int MaxBodyBytes = 8 * 1024;

    public static PushDevice? Validate(PushRegistrationRequest? request, out Dictionary<string, string[]> errors)
    {
        errors = [];
        if (request is null)
        {
            errors["body"] = ["a JSON object with platform, token and appId is required."];
            return null;
        }
        var platform = request.Platform;
        if (platform is not ("apns" or "apns-voip" or "fcm"))
        {
            errors["platform"] = ["platform must be 'apns', 'apns-voip' or 'fcm'."];
        }
        var isApns = platform is "apns" or "apns-voip";
        var token = request.Token;
        if (string.IsNullOrEmpty(token))
        {
            errors["token"] = ["token is required."];
        }
        else if (isApns && !ApnsToken().IsMatch(token))
        {
            errors["token"] = ["an APNs token must be 32 to 400 hexadecimal characters."];
        }
        else if (platform == "fcm" && !FcmToken().IsMatch(token))
        {
            errors["token"] = ["an FCM token must be 16 to 4096 characters of A-Z, a-z, 0-9, '_', '-', ':' and '.'."];
        }
        if (string.IsNullOrEmpty(request.AppId) || !(isApns ? BundleId() : PackageName()).IsMatch(request.AppId))
        {
            errors["appId"] = [isApns
                ? "appId must be the iOS bundle id: 1 to 251 characters of letters, digits, '.' and '-'."
                : "appId must be the Android package name: 1 to 255 characters of letters, digits, '.', '-' and '_'."];
        }
        var environment = request.Environment ?? "production";
        if (environment is not ("production" or "sandbox"))
        {
            errors["environment"] = ["environment must be 'production' or 'sandbox'."];
        }
        else if (environment == "sandbox" && platform == "fcm")
        {
            errors["environment"] = ["FCM has no sandbox: leave environment out or set it to 'production'."];
        }
        return errors.Count > 0
            ? null
            : new PushDevice(platform!, isApns ? token!.ToLowerInvariant() : token!, request.AppId!, environment);
    }

    [GeneratedRegex("^[0-9a-fA-F]{32,400}$")]
    private static partial Regex ApnsToken();

    [GeneratedRegex("^[A-Za-z0-9_:.-]{16,4096}$")]
    private static partial Regex FcmToken();

    /// <summary>The APNs topic: a bundle id (reverse DNS), as the gateway's APNs provider accepts it.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9.-]{0,250}$")]
    private static partial Regex BundleId();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")]
    private static partial Regex PackageName();
}

/// <summary>What the app puts into its XEP-0357 <c>&lt;enable jid='…' node='…'/&gt;</c>, with <c>secret</c> as a publish option.</summary>
internal sealed record PushRegistrationResponse(string Node, string Secret, string Jid);
