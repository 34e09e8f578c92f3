namespace StreamRag.Contracts;

/// <summary>
/// Limits the parsers enforce. Values that reach Redis keys or filter expressions are validated
/// against a strict alphabet here, once, so no later layer has to escape them.
/// </summary>
public sealed record ContractLimits
{
    public static ContractLimits Default { get; } = new();

    public int MaxDocumentIdLength { get; init; } = 256;
    public int MaxContentBytes { get; init; } = 1_000_000;
    public int MaxSourceLength { get; init; } = 128;
    public int MaxTags { get; init; } = 32;
    public int MaxTagLength { get; init; } = 64;
    public int MaxQueryLength { get; init; } = 2_000;
    public int MaxK { get; init; } = 100;
    public int MaxFilterValues { get; init; } = 64;
    public int MaxRequestIdLength { get; init; } = 128;
    public int MaxReplyChannelLength { get; init; } = 256;
    public int MaxEf { get; init; } = 4_096;

    /// <summary>Longest life of a watch, in seconds (30 days).</summary>
    public int MaxWatchTtlSeconds { get; init; } = 2_592_000;

    /// <summary>Life of a watch whose request gives no <c>ttl</c>, in seconds (1 day).</summary>
    public int DefaultWatchTtlSeconds { get; init; } = 86_400;

    /// <summary>Longest <c>notify_to</c> stream key and <c>watch_id</c>.</summary>
    public int MaxWatchKeyLength { get; init; } = 200;
}
