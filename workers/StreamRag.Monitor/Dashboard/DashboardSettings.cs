namespace StreamRag.Monitor.Dashboard;

/// <summary>The live settings the fleet runs with (the settings hash), as the monitor last read them.</summary>
internal sealed record DashboardSettings(int? SearchEf, string? SearchEfReason, long? SearchEfChangedAt, bool TuningEnabled, int MinEf, int MaxEf, double RecallFloor, double LatencyBudgetMs);
