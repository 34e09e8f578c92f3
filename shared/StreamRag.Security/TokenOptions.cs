namespace StreamRag.Security;

/// <summary>
/// Signed tenant tokens (configuration section <c>Security:Tokens</c>): off by default; when
/// required, the public keys tokens may be signed with. Workers hold only public keys, so a
/// compromised worker cannot mint a token.
/// </summary>
public sealed class TokenOptions
{
    public const string Section = "Security:Tokens";

    public TokenMode Mode { get; set; } = TokenMode.Off;

    /// <summary>Every key accepted: several during a rotation, each with its own <c>kid</c>.</summary>
    public List<TokenKeyOptions> Keys { get; set; } = [];

    /// <summary>Leeway for clocks that disagree, on <c>exp</c> and <c>nbf</c>.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
