namespace StreamRag.Contracts;

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
/// <param name="Watch">Mode <c>watch</c>: threshold, life and notification stream of the standing query.</param>
/// <param name="WatchId">Mode <c>unwatch</c>: the watch to remove.</param>
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
    ReadOnlyMemory<float>? Vector = null,
    WatchRequest? Watch = null,
    string? WatchId = null);
