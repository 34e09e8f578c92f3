using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Monitor;

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
