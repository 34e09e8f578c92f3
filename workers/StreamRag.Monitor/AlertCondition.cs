namespace StreamRag.Monitor;

/// <summary>One rule's verdict for one subject in one evaluation.</summary>
/// <param name="Rule">Rule name (stable; used in the alert key and in Prometheus rule names).</param>
/// <param name="Subject">What it is about when the rule has several subjects (a stream/group); empty otherwise.</param>
/// <param name="Breached">Whether the threshold is crossed now.</param>
/// <param name="Figures">Every figure the rule looked at, for the alert's payload.</param>
internal sealed record AlertCondition(
    string Rule,
    string Subject,
    string Severity,
    bool Breached,
    double Value,
    double Threshold,
    string Summary,
    string Action,
    IReadOnlyList<KeyValuePair<string, object>> Figures)
{
    public string Key => Subject.Length == 0 ? Rule : $"{Rule}|{Subject}";

    /// <summary>What the resolution says when the condition no longer holds: the current figure against the limit, not the firing text.</summary>
    public string ResolvedSummary { get; init; } = Summary;
}
