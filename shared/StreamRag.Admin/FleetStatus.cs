namespace StreamRag.Admin;

/// <summary>Everything <c>streamrag status</c> shows; memory is that of the primary nearest its maxmemory.</summary>
/// <param name="SearchEf">The live search effort the monitor writes (settings hash), null when none is set.</param>
/// <param name="MonitorEvaluatedAt">The monitor's last evaluation, null when no monitor has run.</param>
public sealed record FleetStatus(
    string Prefix,
    string RedisVersion,
    long UsedMemoryBytes,
    long MaxMemoryBytes,
    IndexSummary Index,
    IReadOnlyList<StreamStatus> Streams,
    IReadOnlyDictionary<string, long> DeadLetters,
    IReadOnlyList<ActiveAlert> Alerts,
    long? SearchEf,
    DateTimeOffset? MonitorEvaluatedAt);
