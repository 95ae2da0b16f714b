namespace CommEazy.AuthBridge.DevTokens;

/// <summary>Switches on the local Firebase-format token issuer; it is honoured only in the Development environment.</summary>
internal sealed class DevTokenOptions
{
    public const string SectionName = "DevTokens";

    public bool Enabled { get; set; }
}
