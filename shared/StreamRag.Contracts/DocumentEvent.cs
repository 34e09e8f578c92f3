namespace StreamRag.Contracts;

/// <summary>What a document event asks for.</summary>
public enum DocumentOperation
{
    Upsert,
    Delete,
}

/// <summary>
/// A change to one document, as read from the document-events stream (wire contract v1).
/// Field names on the stream are listed in <see cref="DocumentEventFields"/>.
/// </summary>
/// <param name="Operation">Upsert replaces the document; delete removes it.</param>
/// <param name="Id">Document id, unique within the tenant.</param>
/// <param name="Version">Monotonic version; an event not newer than the indexed one is ignored.</param>
/// <param name="Content">Full text (upsert only).</param>
/// <param name="Source">Where the document comes from (a filterable label).</param>
/// <param name="Timestamp">When the document was written upstream.</param>
/// <param name="Tags">Filterable labels.</param>
/// <param name="ExpiresAt">When the retention sweeper must delete it, if ever.</param>
/// <param name="Tenant">Isolation boundary; queries never cross it.</param>
/// <param name="TraceParent">The producer's trace context (<see cref="Contracts.TraceParent"/>); null when absent or not valid.</param>
public sealed record DocumentEvent(
    DocumentOperation Operation,
    string Id,
    long Version,
    string Content,
    string Source,
    DateTimeOffset Timestamp,
    IReadOnlyList<string> Tags,
    DateTimeOffset? ExpiresAt,
    string Tenant,
    System.Diagnostics.ActivityContext? TraceParent = null);

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

    internal static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        ContractVersion, Operation, Id, Version, Content, Source, Timestamp, Tags, TtlSeconds, ExpiresAt, Tenant, TraceParent,
    };
}
