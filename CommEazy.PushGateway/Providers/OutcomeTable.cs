namespace CommEazy.PushGateway.Providers;

/// <summary>One row of a provider's outcome table: a status (or range) and, optionally, the provider's reason.</summary>
/// <param name="MinStatus">Lowest HTTP status the row covers.</param>
/// <param name="MaxStatus">Highest HTTP status the row covers.</param>
/// <param name="Reason">The provider's reason; <see langword="null"/> matches any reason for the status.</param>
/// <param name="Outcome">What the answer means.</param>
internal readonly record struct OutcomeRule(int MinStatus, int MaxStatus, string? Reason, PushOutcome Outcome)
{
    public static OutcomeRule ForStatus(int status, PushOutcome outcome) => new(status, status, null, outcome);

    public static OutcomeRule ForStatusRange(int minStatus, int maxStatus, PushOutcome outcome) => new(minStatus, maxStatus, null, outcome);

    public static OutcomeRule ForReason(int status, string reason, PushOutcome outcome) => new(status, status, reason, outcome);

    public bool Matches(int status, string? reason) =>
        status >= MinStatus && status <= MaxStatus && (Reason is null || string.Equals(Reason, reason, StringComparison.Ordinal));
}

/// <summary>
/// A provider's (status, reason) → <see cref="PushOutcome"/> table, sygnal-style: rows are tried in order and the
/// first match wins; an answer no row matches is a <see cref="PushOutcome.PermanentFailure"/> that the provider logs.
/// The same table decides what the resilience pipeline retries: only rows that make a whole status temporary
/// (no reason) — a status that is temporary only for some reasons is never retried blindly.
/// </summary>
internal sealed class OutcomeTable(IReadOnlyList<OutcomeRule> rules)
{
    public IReadOnlyList<OutcomeRule> Rules { get; } = rules;

    /// <summary>Finds the outcome for an answer; <see langword="false"/> when no row lists it.</summary>
    public bool TryClassify(int status, string? reason, out PushOutcome outcome)
    {
        foreach (var rule in Rules)
        {
            if (rule.Matches(status, reason))
            {
                outcome = rule.Outcome;
                return true;
            }
        }
        outcome = PushOutcome.PermanentFailure;
        return false;
    }

    /// <summary>Whether every answer with this status is a temporary failure, so the HTTP pipeline may retry it.</summary>
    public bool IsRetryableStatus(int status)
    {
        foreach (var rule in Rules)
        {
            if (rule.Reason is null && status >= rule.MinStatus && status <= rule.MaxStatus)
            {
                return rule.Outcome == PushOutcome.TemporaryFailure;
            }
        }
        return false;
    }
}
