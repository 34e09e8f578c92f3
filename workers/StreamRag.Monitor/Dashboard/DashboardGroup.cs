namespace StreamRag.Monitor.Dashboard;

/// <summary>A consumer group as the latest evaluation saw it.</summary>
internal sealed record DashboardGroup(string Stream, string Group, string Role, bool Exists, long Lag, long Pending, int Consumers, int LiveConsumers);
