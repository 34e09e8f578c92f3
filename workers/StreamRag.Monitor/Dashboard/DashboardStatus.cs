namespace StreamRag.Monitor.Dashboard;

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
