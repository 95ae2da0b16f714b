namespace CommEazy.AuthBridge.Accounts;

/// <summary>PostgreSQL could not be reached or is not ready; the caller answers 503 with Retry-After.</summary>
internal sealed class AccountStoreUnavailableException(Exception innerException)
    : Exception("The account database is unavailable.", innerException);
