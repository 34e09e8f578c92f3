namespace StreamRag.Contracts;

/// <summary>
/// Fields of an entry on the query-metrics stream: one per answered query, written by the query
/// worker, read by the monitor. A sampled entry also carries what the monitor needs to repeat the
/// search exactly and measure recall.
/// </summary>
public static class QueryMetricsFields
{
    public const string Status = "status";
    public const string ErrorCode = "error";
    public const string QueueMs = "queue_ms";
    public const string EmbedMs = "embed_ms";
    public const string SearchMs = "search_ms";
    public const string TotalMs = "total_ms";
    public const string Cache = "cache";
    public const string K = "k";
    public const string Ef = "ef";
    public const string Results = "results";

    // Only on sampled entries (recall measurement):
    public const string Tenant = "tenant";
    public const string Filters = "filters";

    /// <summary>The query vector as little-endian float32 bytes.</summary>
    public const string Vector = "vector";

    /// <summary>Returned chunk ids (<c>doc#chunk</c>), comma-separated, best first.</summary>
    public const string ResultIds = "result_ids";
}

/// <summary>Fields of the live settings hash.</summary>
public static class SettingsFields
{
    /// <summary>Search effort (HNSW EF) query workers use when a request does not give one.</summary>
    public const string SearchEf = "search_ef";
}
