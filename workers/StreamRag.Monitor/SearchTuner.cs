using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>Sampled queries waiting for a recall check: bounded, the oldest dropped first.</summary>
internal sealed class RecallSampleQueue(IOptions<TuningOptions> options)
{
    private readonly Lock gate = new();
    private readonly LinkedList<RecallSample> items = new();

    public void Add(RecallSample sample)
    {
        lock (gate)
        {
            items.AddLast(sample);
            while (items.Count > options.Value.SampleQueue)
            {
                items.RemoveFirst();
            }
        }
    }

    /// <summary>Takes every queued sample out; returns the newest <paramref name="max"/> that match.</summary>
    public RecallSample[] Drain(int max, Func<RecallSample, bool> useful)
    {
        lock (gate)
        {
            var taken = items.Where(useful).TakeLast(max).ToArray();
            items.Clear();
            return taken;
        }
    }
}

/// <summary>Recall and latency measured at one search effort.</summary>
/// <param name="RecallSamples">Recall checks done at this effort.</param>
/// <param name="Recall">Mean recall@k of those checks (null before the first).</param>
/// <param name="LatencySamples">Queries answered at this effort in the window.</param>
/// <param name="SearchP99Ms">Their p99 search time (null when there are none).</param>
internal sealed record EfMeasurement(int RecallSamples, double? Recall, int LatencySamples, double? SearchP99Ms);

/// <summary>What the tuner decided.</summary>
/// <param name="Ef">The effort to use from now on.</param>
/// <param name="Changed">Whether it differs from the current one.</param>
/// <param name="RecallShort">Recall is measured and below the floor.</param>
/// <param name="LatencyOver">p99 is measured and over the budget.</param>
/// <param name="Stuck">Recall is short and the tuner cannot raise the effort (at the bound, or the latency budget forbids it).</param>
internal sealed record EfDecision(int Ef, bool Changed, bool RecallShort, bool LatencyOver, bool Stuck, string Reason);

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

/// <summary>The tuner's state after a round, for alerts, status and metrics.</summary>
/// <param name="ChangedFrom">The effort before, when this round changed <c>search_ef</c>; null when it did not.</param>
internal sealed record TuningState(int Ef, EfMeasurement Measurement, EfDecision Decision, DateTimeOffset Since, int? ChangedFrom = null);

/// <summary>
/// Measures recall on sampled live queries (the query worker's graph-search result against an exact
/// scan of the same tenant with the same filters, VSIM TRUTH) and latency from the window, at the
/// current effort only, and moves <c>search_ef</c> in the settings hash by <see cref="EfController"/>.
/// Query workers read that hash, so a change takes effect without a restart.
/// </summary>
internal sealed partial class SearchTuner(
    IVectorIndex index,
    RedisConnections connections,
    KeySchema keys,
    RecallSampleQueue samples,
    ContractLimits limits,
    IOptions<TuningOptions> tuning,
    IOptions<IndexOptions> indexOptions,
    MonitorMetrics metrics,
    ILogger<SearchTuner> logger)
{
    private readonly QueryRequestParser filterParser = new(limits);
    private readonly List<double> recalls = [];
    private int ef = -1;
    private DateTimeOffset since = DateTimeOffset.MinValue;

    public TuningState? Latest { get; private set; }

    public async Task<TuningState> TuneAsync(QueryWindow window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var options = tuning.Value;
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var stored = await db.HashGetAsync(keys.Settings, SettingsFields.SearchEf);
        var current = stored.TryParse(out int s) && s > 0 ? s : indexOptions.Value.DefaultEf;
        if (current != ef)
        {
            // A new effort (ours, or set by hand): what was measured before says nothing about it.
            Reset(current, now);
        }

        foreach (var sample in samples.Drain(options.MaxRecallChecks, x => x.Ef == ef && x.At >= since))
        {
            if (await MeasureRecallAsync(sample, cancellationToken) is { } recall)
            {
                recalls.Add(recall);
                metrics.RecallChecks.Add(1);
            }
        }

        if (recalls.Count > 10_000)
        {
            recalls.RemoveRange(0, recalls.Count - 10_000);
        }

        var searched = window.Current(now).Where(o => o.Ok && !o.CacheHit && o.Ef == ef && o.At >= since).Select(o => o.SearchMs).ToArray();
        Array.Sort(searched);
        var measurement = new EfMeasurement(
            recalls.Count,
            recalls.Count == 0 ? null : recalls.Average(),
            searched.Length,
            searched.Length == 0 ? null : Distribution.Percentile(searched, 0.99));
        var decision = EfController.Decide(ef, measurement, options);

        var fields = new List<HashEntry>
        {
            new(SettingsFields.SearchRecall, measurement.Recall is { } r ? r.ToString("0.####", CultureInfo.InvariantCulture) : ""),
            new(SettingsFields.SearchP99Ms, measurement.SearchP99Ms is { } p ? p.ToString("0.###", CultureInfo.InvariantCulture) : ""),
        };
        var state = new TuningState(ef, measurement, decision, since);
        if (options.Enabled && decision.Changed)
        {
            state = state with { ChangedFrom = ef };
            fields.Add(new(SettingsFields.SearchEf, decision.Ef));
            fields.Add(new(SettingsFields.SearchEfChangedAt, now.ToUnixTimeMilliseconds()));
            fields.Add(new(SettingsFields.SearchEfReason, decision.Reason));
            Log.Changed(logger, decision.Reason);
            metrics.EfChanges.Add(1);
            Reset(decision.Ef, now);
        }

        await db.HashSetAsync(keys.Settings, fields.ToArray());
        Latest = state with { Ef = ef };
        return Latest;
    }

    private void Reset(int newEf, DateTimeOffset now)
    {
        ef = newEf;
        since = now;
        recalls.Clear();
    }

    /// <summary>recall@k of one sampled query: the share of the exact top-k the graph search returned.</summary>
    private async Task<double?> MeasureRecallAsync(RecallSample sample, CancellationToken cancellationToken)
    {
        var filters = QueryFilters.None;
        if (!string.IsNullOrEmpty(sample.FiltersJson) && filterParser.ParseFilters(sample.FiltersJson, out filters) is not null)
        {
            return null;
        }

        if (sample.Vector.Length != index.Dimensions)
        {
            return null;
        }

        var exact = await index.SearchAsync(new VectorQuery(sample.Tenant, sample.Vector, sample.K, filters, null, Exact: true), cancellationToken);
        if (exact.Count == 0)
        {
            return null;
        }

        var returned = new HashSet<string>(sample.ResultIds, StringComparer.Ordinal);
        var found = exact.Count(h => returned.Contains(string.Create(CultureInfo.InvariantCulture, $"{h.DocumentId}#{h.Chunk}")));
        return found / (double)exact.Count;
    }

    private static partial class Log
    {
        [LoggerMessage(4100, LogLevel.Information, "Search effort: {Reason}")]
        public static partial void Changed(ILogger logger, string reason);
    }
}
