namespace StreamRag.Security;

/// <summary>The outcome of checking a token for a tenant and a scope: granted, or refused and why.</summary>
public readonly record struct TokenCheck(bool Granted, string? Reason)
{
    public static TokenCheck Allowed { get; } = new(true, null);

    public static TokenCheck Refused(string reason) => new(false, reason);
}
