namespace StreamRag.Contracts;

/// <summary>Flat stream field names of a document event, so <c>redis-cli XADD</c> can produce one.</summary>
public static class DocumentEventFields
{
    public const string ContractVersion = "v";
    public const string Operation = "op";
    public const string Id = "id";
    public const string Version = "version";
    public const string Content = "content";
    public const string Source = "source";
    public const string Timestamp = "timestamp";
    public const string Tags = "tags";
    public const string TtlSeconds = "ttl";
    public const string ExpiresAt = "expires_at";
    public const string Tenant = "tenant";

    /// <summary>Optional W3C trace context (<see cref="Contracts.TraceParent"/>); an invalid one is ignored.</summary>
    public const string TraceParent = Contracts.TraceParent.Field;

    /// <summary>Optional signed tenant token (a JWT); checked when the fleet requires tokens (docs/security.md).</summary>
    public const string Token = "token";

    internal static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        ContractVersion, Operation, Id, Version, Content, Source, Timestamp, Tags, TtlSeconds, ExpiresAt, Tenant, TraceParent, Token,
    };
}
