namespace StreamRag.Contracts;

/// <summary>
/// Fields of an entry on the query-metrics stream: one per answered query, written by the query
/// worker, read by the monitor. A sampled entry also carries what the monitor needs to repeat the
/// search exactly and measure recall. Times are milliseconds as decimal numbers (invariant culture).
/// </summary>
public static class QueryMetricsFields
{
    /// <summary><c>ok</c> or <c>error</c> (as <see cref="QueryReply.Status"/>).</summary>
    public const string Status = "status";

    /// <summary>The error code when status is <c>error</c>.</summary>
    public const string ErrorCode = "error";

    public const string QueueMs = "queue_ms";
    public const string EmbedMs = "embed_ms";
    public const string SearchMs = "search_ms";
    public const string TotalMs = "total_ms";

    /// <summary><c>hit</c> or <c>miss</c>.</summary>
    public const string Cache = "cache";

    public const string K = "k";

    /// <summary>The search effort the search actually used (request's or setting's); the EF tuner only counts entries at the current setting.</summary>
    public const string Ef = "ef";

    /// <summary>Number of results returned.</summary>
    public const string Results = "results";

    // Only on sampled entries (recall measurement):
    public const string Tenant = "tenant";

    /// <summary>The request's filters as JSON (<see cref="QueryFilterJson"/>); absent or <c>{}</c> for none.</summary>
    public const string Filters = "filters";

    /// <summary>The query vector as little-endian float32 bytes.</summary>
    public const string Vector = "vector";

    /// <summary>Returned chunk ids (<c>doc#chunk</c>), comma-separated, best first.</summary>
    public const string ResultIds = "result_ids";

    public const string StatusOk = "ok";
    public const string StatusError = "error";
    public const string CacheHit = "hit";
    public const string CacheMiss = "miss";
}
