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
    int? SearchEf,
    double? Recall,
    int AlertsFiring);

/// <summary>A consumer group as the latest evaluation saw it.</summary>
internal sealed record DashboardGroup(string Stream, string Group, string Role, bool Exists, long Lag, long Pending, int Consumers, int LiveConsumers);

/// <summary>A dead-letter stream: its length and the entries ever added to it.</summary>
internal sealed record DashboardDeadLetters(string Stream, long Length, long Added);

/// <summary>One alert transition from the alerts stream, or an alert firing now.</summary>
internal sealed record DashboardAlert(string Key, string Rule, string Subject, string State, string Severity, string Summary, string Action, long At, long Since);

/// <summary>The live settings the fleet runs with (the settings hash), as the monitor last read them.</summary>
internal sealed record DashboardSettings(int? SearchEf, string? SearchEfReason, long? SearchEfChangedAt, bool TuningEnabled, int MinEf, int MaxEf, double RecallFloor, double LatencyBudgetMs);

/// <summary>What <c>/api/status</c> answers: the latest figures, the history as columns (one array per chart series), groups and alerts.</summary>
internal sealed record DashboardStatus(
    long At,
    long RefreshMs,
    double WindowSeconds,
    long EvaluationIntervalMs,
    DashboardPoint? Latest,
    IReadOnlyDictionary<string, IReadOnlyList<double?>> History,
    IReadOnlyList<DashboardGroup> Groups,
    IReadOnlyList<DashboardDeadLetters> DeadLetters,
    IReadOnlyList<DashboardAlert> ActiveAlerts,
    IReadOnlyList<DashboardAlert> RecentAlerts,
    DashboardSettings? Settings);
