namespace StreamRag.Contracts;

/// <summary>Fields of an entry on the alerts stream; the JSON published on the alerts channel has the same names.</summary>
public static class AlertFields
{
    /// <summary>Rule name, e.g. <c>query_latency</c>.</summary>
    public const string Rule = "rule";

    /// <summary>What the rule is about when it has several (a consumer group, a stream); empty otherwise.</summary>
    public const string Subject = "subject";

    /// <summary><c>firing</c> or <c>resolved</c>; <c>notice</c> for an announcement that neither fires nor resolves (a search_ef change).</summary>
    public const string State = "state";

    /// <summary><c>warning</c> or <c>critical</c>; <c>info</c> for a notice.</summary>
    public const string Severity = "severity";

    /// <summary>One line for a human, with the figures.</summary>
    public const string Summary = "summary";

    /// <summary>The measured value the threshold applies to.</summary>
    public const string Value = "value";

    public const string Threshold = "threshold";

    /// <summary>JSON object of every figure the rule looked at.</summary>
    public const string Figures = "figures";

    /// <summary>What an operator should do.</summary>
    public const string Action = "action";

    /// <summary>When this transition happened (Unix ms).</summary>
    public const string At = "at";

    /// <summary>When the alert started firing (Unix ms); equal to <see cref="At"/> on the firing entry.</summary>
    public const string Since = "since";

    public const string StateFiring = "firing";
    public const string StateResolved = "resolved";
    public const string StateNotice = "notice";
    public const string SeverityInfo = "info";

    /// <summary>Rule of the notice the monitor's tuner publishes with every change of <c>search_ef</c>.</summary>
    public const string RuleSearchEfChanged = "search_ef_changed";
}
