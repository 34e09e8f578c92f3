namespace StreamRag.Contracts;

/// <summary>What the caller wants back: ranked passages, or an answer built from them.</summary>
public enum QueryMode
{
    Search,
    Answer,
}

/// <summary>A query posted on the query-request stream (wire contract v1); fields in <see cref="QueryRequestFields"/>.</summary>
/// <param name="RequestId">Caller's id, echoed in the reply for correlation.</param>
/// <param name="Query">Question text to embed.</param>
/// <param name="K">How many results (1 to the configured maximum).</param>
/// <param name="Filters">Metadata filters, applied inside the index.</param>
/// <param name="ReplyTo">Pub/sub channel the reply is published on.</param>
/// <param name="Deadline">After this instant the worker skips the work and replies <c>deadline_exceeded</c>.</param>
/// <param name="Tenant">The only tenant whose documents can be returned.</param>
/// <param name="Mode">Search or answer.</param>
/// <param name="Ef">Optional search effort (HNSW exploration factor); the worker's setting when absent.</param>
/// <param name="Vector">A ready query vector (little-endian float32); when given, the text is not embedded.</param>
public sealed record QueryRequest(
    string RequestId,
    string Query,
    int K,
    QueryFilters Filters,
    string ReplyTo,
    DateTimeOffset? Deadline,
    string Tenant,
    QueryMode Mode,
    int? Ef,
    ReadOnlyMemory<float>? Vector = null);

/// <summary>Metadata filters: all given conditions must hold.</summary>
/// <param name="Sources">The document's source is one of these.</param>
/// <param name="TagsAny">The document has at least one of these tags.</param>
/// <param name="TagsAll">The document has every one of these tags.</param>
/// <param name="From">The document's timestamp is at or after this instant.</param>
/// <param name="To">The document's timestamp is at or before this instant.</param>
public sealed record QueryFilters(
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> TagsAny,
    IReadOnlyList<string> TagsAll,
    DateTimeOffset? From,
    DateTimeOffset? To)
{
    public static QueryFilters None { get; } = new([], [], [], null, null);

    public bool IsEmpty => Sources.Count == 0 && TagsAny.Count == 0 && TagsAll.Count == 0 && From is null && To is null;
}

/// <summary>Flat stream field names of a query request.</summary>
public static class QueryRequestFields
{
    public const string ContractVersion = "v";
    public const string RequestId = "id";
    public const string Query = "query";
    public const string K = "k";
    public const string Filters = "filters";
    public const string ReplyTo = "reply_to";
    public const string Deadline = "deadline";
    public const string Tenant = "tenant";
    public const string Mode = "mode";
    public const string Ef = "ef";

    /// <summary>A ready query vector: raw little-endian float32 bytes (4 × dimension bytes).</summary>
    public const string Vector = "vector";

    /// <summary>Optional W3C trace context (<see cref="Contracts.TraceParent"/>); an invalid one is ignored.</summary>
    public const string TraceParent = Contracts.TraceParent.Field;

    internal static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        ContractVersion, RequestId, Query, K, Filters, ReplyTo, Deadline, Tenant, Mode, Ef, Vector, TraceParent,
    };
}

/// <summary>Names of the keys inside the <c>filters</c> JSON object.</summary>
public static class QueryFilterFields
{
    public const string Sources = "sources";
    public const string TagsAny = "tags_any";
    public const string TagsAll = "tags_all";
    public const string From = "from";
    public const string To = "to";
}
