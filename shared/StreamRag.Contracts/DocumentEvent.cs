namespace StreamRag.Contracts;

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
/// <param name="Token">The producer's signed tenant token (field <c>token</c>), unchecked here; null when absent.</param>
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
    System.Diagnostics.ActivityContext? TraceParent = null,
    string? Token = null);
