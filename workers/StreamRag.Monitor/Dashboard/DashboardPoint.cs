namespace StreamRag.Monitor.Dashboard;

/// <summary>
/// One evaluation's figures, one point of every chart. Times are Unix milliseconds; latencies are
/// milliseconds over the monitor's window; rates are per second.
/// </summary>
internal sealed record DashboardPoint(
    long At,
    double QueriesPerSecond,
    int WindowQueries,
    int WindowErrors,
    double LatencyP50Ms,
    double LatencyP95Ms,
    double LatencyP99Ms,
    double SearchP95Ms,
    double CacheHitRatio,
    double EventsPerSecond,
    double? BacklogAgeMs,
    long EventsLag,
    long EventsPending,
    long QueriesLag,
    long QueriesPending,
    long UsedMemoryBytes,
    long MaxMemoryBytes,
    long Vectors,
    long IndexMemoryBytes,
    long Watches,
    int? SearchEf,
    double? Recall,
    int AlertsFiring);
