namespace StreamRag.Security;

/// <summary>One public key tokens may be signed with (<c>Security:Tokens:Keys:N</c>).</summary>
public sealed class TokenKeyOptions
{
    /// <summary>The key id: a token names it in its <c>kid</c> header; one not configured is refused.</summary>
    public string Kid { get; set; } = "";

    /// <summary>The ES256 (P-256) public key as PEM text; or give <see cref="PublicKeyFile"/>.</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>A file holding the PEM public key (as <c>streamrag keys new</c> writes it).</summary>
    public string? PublicKeyFile { get; set; }
}
