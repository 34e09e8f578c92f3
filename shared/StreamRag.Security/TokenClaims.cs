namespace StreamRag.Security;

/// <summary>The claims of a StreamRag tenant token (a JWT signed with ES256).</summary>
public static class TokenClaims
{
    /// <summary>The tenants the token may use: a JSON array of tenant names.</summary>
    public const string Tenants = "tenants";

    /// <summary>What it may do: space-separated <c>write</c> and/or <c>query</c> (as OAuth's <c>scope</c>).</summary>
    public const string Scope = "scope";

    /// <summary>The audience every token names, so a token signed for another system with the same key is not taken.</summary>
    public const string Audience = "streamrag";

    /// <summary>The only signing algorithm accepted: ECDSA P-256 with SHA-256. No <c>none</c>, no symmetric HS*.</summary>
    public const string Algorithm = "ES256";

    /// <summary>
    /// A tenant a token can grant: a contract tenant label (1 to 64 of [A-Za-z0-9_-./@]) without ':', which
    /// would let its reply namespace <c>{prefix}:reply:&lt;tenant&gt;:</c> overlap another tenant's.
    /// </summary>
    public static bool IsTenantName(string tenant) =>
        tenant is { Length: > 0 and <= 64 } && tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or '@');

    public static string NameOf(TokenScope scope) => scope == TokenScope.Write ? "write" : "query";

    public static bool TryParseScope(string text, out TokenScope scope)
    {
        switch (text)
        {
            case "write": scope = TokenScope.Write; return true;
            case "query": scope = TokenScope.Query; return true;
            default: scope = default; return false;
        }
    }
}
