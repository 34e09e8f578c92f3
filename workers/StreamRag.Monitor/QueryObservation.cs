namespace StreamRag.Monitor;

/// <summary>One answered query, as the query worker reported it on the query-metrics stream.</summary>
/// <param name="QueueMs">Null when the worker did not know it (the request id's time past year 9999).</param>
internal readonly record struct QueryObservation(
    DateTimeOffset At,
    bool Ok,
    double? QueueMs,
    double EmbedMs,
    double SearchMs,
    double TotalMs,
    bool CacheHit,
    int? Ef);
