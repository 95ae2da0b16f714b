using System.ComponentModel.DataAnnotations;

namespace CommEazy.PushGateway.Providers;

/// <summary>
/// How a provider's HTTP pipeline retries the answers its outcome table calls temporary (<c>Push:Apns:Retry</c>,
/// <c>Push:Fcm:Retry</c>): exponential backoff with jitter, or the provider's <c>Retry-After</c> when it sends one.
/// </summary>
internal sealed class PushRetryOptions
{
    /// <summary>Attempts per push, the first one included; 1 turns retries off.</summary>
    [Range(1, 6)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The first backoff delay; later ones grow exponentially, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest <c>Retry-After</c> we wait out inside one push. A provider asking for longer gets no retry from
    /// us: the push ends as a temporary failure carrying the provider's <c>Retry-After</c> (→ <c>wait</c>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one HTTP attempt may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one push may take, all attempts and delays included.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(15);

    internal IEnumerable<ValidationResult> Validate(string sectionName)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        foreach (var result in results)
        {
            yield return new ValidationResult($"{sectionName}:Retry: {result.ErrorMessage}", result.MemberNames.Select(m => $"Retry.{m}"));
        }
        if (TotalTimeout < AttemptTimeout)
        {
            yield return new ValidationResult($"{sectionName}:Retry:TotalTimeout must not be shorter than AttemptTimeout.", ["Retry.TotalTimeout"]);
        }
    }
}
