namespace StreamRag.Admin;

/// <summary>An alert that is firing now (from the monitor's alert states), with its latest summary.</summary>
public sealed record ActiveAlert(string Rule, string Subject, DateTimeOffset? Since, string? Severity, string? Summary);
