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

/// <summary>Fields of the live settings hash.</summary>
public static class SettingsFields
{
    /// <summary>Search effort (HNSW EF) query workers use when a request does not give one.</summary>
    public const string SearchEf = "search_ef";

    /// <summary>When the monitor last changed <see cref="SearchEf"/> (Unix ms).</summary>
    public const string SearchEfChangedAt = "search_ef_changed_at";

    /// <summary>Why the monitor last changed <see cref="SearchEf"/>, with the figures.</summary>
    public const string SearchEfReason = "search_ef_reason";

    /// <summary>Last measured mean recall@k at the current search effort (0–1).</summary>
    public const string SearchRecall = "search_recall";

    /// <summary>Last measured p99 search time at the current search effort (ms).</summary>
    public const string SearchP99Ms = "search_p99_ms";
}

/// <summary>Fields of an entry on the document-deletions audit stream (one per document the retention sweeper expired).</summary>
public static class DocumentDeletionFields
{
    public const string Tenant = "tenant";
    public const string Id = "id";

    /// <summary>The version that was deleted.</summary>
    public const string Version = "version";

    /// <summary>The document's source label.</summary>
    public const string Source = "source";

    /// <summary>Why: <c>expired</c>.</summary>
    public const string Reason = "reason";

    /// <summary>When it was due (Unix ms).</summary>
    public const string ExpiresAt = "expires_at";

    /// <summary>When the sweeper deleted it (Unix ms).</summary>
    public const string DeletedAt = "deleted_at";

    public const string ReasonExpired = "expired";
}

/// <summary>Fields of an entry on the alerts stream; the JSON published on the alerts channel has the same names.</summary>
public static class AlertFields
{
    /// <summary>Rule name, e.g. <c>query_latency</c>.</summary>
    public const string Rule = "rule";

    /// <summary>What the rule is about when it has several (a consumer group, a stream); empty otherwise.</summary>
    public const string Subject = "subject";

    /// <summary><c>firing</c> or <c>resolved</c>; <c>notice</c> for an announcement that neither fires nor resolves (a search_ef change).</summary>
    public const string State = "state";

    /// <summary><c>warning</c> or <c>critical</c>; <c>info</c> for a notice.</summary>
    public const string Severity = "severity";

    /// <summary>One line for a human, with the figures.</summary>
    public const string Summary = "summary";

    /// <summary>The measured value the threshold applies to.</summary>
    public const string Value = "value";

    public const string Threshold = "threshold";

    /// <summary>JSON object of every figure the rule looked at.</summary>
    public const string Figures = "figures";

    /// <summary>What an operator should do.</summary>
    public const string Action = "action";

    /// <summary>When this transition happened (Unix ms).</summary>
    public const string At = "at";

    /// <summary>When the alert started firing (Unix ms); equal to <see cref="At"/> on the firing entry.</summary>
    public const string Since = "since";

    public const string StateFiring = "firing";
    public const string StateResolved = "resolved";
    public const string StateNotice = "notice";
    public const string SeverityInfo = "info";

    /// <summary>Rule of the notice the monitor's tuner publishes with every change of <c>search_ef</c>.</summary>
    public const string RuleSearchEfChanged = "search_ef_changed";
}
