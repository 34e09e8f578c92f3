namespace StreamRag.Contracts;

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
