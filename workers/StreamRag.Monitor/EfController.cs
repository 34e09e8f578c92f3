using System.Globalization;

namespace StreamRag.Monitor;

/// <summary>
/// The search-effort control law: raise the effort (×UpFactor) while recall is below the floor, lower
/// it (×DownFactor) while p99 search time is over the budget, hold otherwise. Multiplicative steps
/// converge in a few rounds from any start; both bounds are hard. A round judges only with enough
/// samples at the current effort; when recall is short and latency is over, no setting can meet
/// both, so it holds and says so (the recall_low alert reports it).
/// </summary>
internal static class EfController
{
    public static EfDecision Decide(int current, EfMeasurement m, TuningOptions options)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(options);
        var recallShort = m.RecallSamples >= options.MinRecallSamples && m.Recall < options.RecallFloor;
        var latencyOver = m.LatencySamples >= options.MinLatencySamples && m.SearchP99Ms > options.LatencyBudgetMs;
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"recall {Show(m.Recall)} over {m.RecallSamples} checks (floor {options.RecallFloor}), p99 search {Show(m.SearchP99Ms)} ms over {m.LatencySamples} queries (budget {options.LatencyBudgetMs} ms)");

        // Outside the bounds (set by hand, or the bounds changed): come back inside first, whatever
        // was measured, so no round ever leaves search_ef below Tuning:MinEf or above Tuning:MaxEf.
        var bounded = Math.Clamp(current, options.MinEf, options.MaxEf);
        if (bounded != current)
        {
            return new EfDecision(bounded, true, recallShort, latencyOver, false, $"move {current} -> {bounded}: back inside [{options.MinEf}, {options.MaxEf}]; {figures}");
        }

        if (recallShort && latencyOver)
        {
            return new EfDecision(current, false, true, true, true, $"hold at {current}: recall short and latency over budget at once; {figures}");
        }

        if (latencyOver)
        {
            var lower = Math.Clamp(Math.Min(current - 1, (int)Math.Floor(current * options.DownFactor)), options.MinEf, options.MaxEf);
            return lower == current
                ? new EfDecision(current, false, false, true, false, $"hold at MinEf {current}: latency over budget; {figures}")
                : new EfDecision(lower, true, false, true, false, $"lower {current} -> {lower}: latency over budget; {figures}");
        }

        if (recallShort)
        {
            var higher = Math.Clamp(Math.Max(current + 1, (int)Math.Ceiling(current * options.UpFactor)), options.MinEf, options.MaxEf);
            return higher == current
                ? new EfDecision(current, false, true, false, true, $"hold at MaxEf {current}: recall short; {figures}")
                : new EfDecision(higher, true, true, false, false, $"raise {current} -> {higher}: recall short; {figures}");
        }

        return new EfDecision(current, false, false, false, false, $"hold at {current}; {figures}");
    }

    private static string Show(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "n/a";
}
