namespace StreamRag.Monitor.Dashboard;

/// <summary>One alert transition from the alerts stream, or an alert firing now.</summary>
internal sealed record DashboardAlert(string Key, string Rule, string Subject, string State, string Severity, string Summary, string Action, long At, long Since);
