using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Monitor.Dashboard;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>
/// One evaluation: read the new query-metrics entries, read Redis, compute the window's figures, measure recall and tune the search
/// effort when due, judge the alert rules, publish transitions, refresh the status hash, the
/// gauges and the dashboard's figures. The evaluation loop calls it every <see cref="MonitorOptions.EvaluationInterval"/>.
/// </summary>
internal sealed class MonitorService(
    QueryMetricsReader reader,
    QueryWindow window,
    RedisProbe probe,
    SearchTuner tuner,
    AlertPublisher alerts,
    RedisConnections connections,
    KeySchema keys,
    IOptions<AlertOptions> alertOptions,
    IOptions<TuningOptions> tuningOptions,
    MonitorMetrics metrics,
    DashboardFeed dashboard,
    TimeProvider time)
{
    private readonly Dictionary<string, Queue<(DateTimeOffset At, long Added)>> deadLetterHistory = new(StringComparer.Ordinal);
    private readonly GroupObservations groupObservations = new();
    private long lastTuning = long.MinValue;
    private long evaluations;
    private long tunings;

    public MonitorSnapshot? Latest { get; private set; }

    public async Task<MonitorSnapshot> EvaluateOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await reader.DrainAsync(now, cancellationToken);
        var redis = await probe.ReadAsync(cancellationToken);
        redis = redis with { Groups = groupObservations.Stamp(redis.Groups, now) };
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var (growth, added) = await DeadLetterGrowthAsync(db, now);

        var tuning = tuner.Latest;
        if (lastTuning == long.MinValue || time.GetElapsedTime(lastTuning) >= tuningOptions.Value.Interval)
        {
            tuning = await tuner.TuneAsync(window, now, cancellationToken);
            lastTuning = time.GetTimestamp();
            tunings++;
            if (tuning.ChangedFrom is not null)
            {
                await alerts.AnnounceEfChangeAsync(tuning, tuningOptions.Value, now);
            }
        }

        var snapshot = new MonitorSnapshot(now, window.Snapshot(now), redis, growth, added, tuning);
        var conditions = AlertRules.Evaluate(snapshot, alertOptions.Value, tuningOptions.Value);
        await alerts.ApplyAsync(conditions, now, cancellationToken);

        evaluations++;
        metrics.Evaluations.Add(1);
        metrics.Publish(snapshot, alerts.Firing);
        Latest = snapshot;
        await WriteStatusAsync(db, snapshot);
        await dashboard.RecordAsync(snapshot, db, cancellationToken);
        return snapshot;
    }

    /// <summary>
    /// New dead letters per stream within <see cref="AlertOptions.DeadLetterWindow"/>. Counted from XINFO STREAM's entries-added,
    /// which trimming does not lower, so a capped dead-letter stream still shows its growth.
    /// </summary>
    private async Task<(Dictionary<string, long> Growth, Dictionary<string, long> Added)> DeadLetterGrowthAsync(IDatabase db, DateTimeOffset now)
    {
        var growth = new Dictionary<string, long>(StringComparer.Ordinal);
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var key in probe.DeadLetters)
        {
            var name = key.ToString();
            long added = 0;
            if (await db.KeyExistsAsync(key))
            {
                var info = (RedisResult[])(await db.ExecuteAsync("XINFO", "STREAM", key))!;
                for (var i = 0; i + 1 < info.Length; i += 2)
                {
                    if ((string?)info[i] == "entries-added")
                    {
                        added = (long)info[i + 1];
                    }
                }
            }

            if (!deadLetterHistory.TryGetValue(name, out var history))
            {
                deadLetterHistory[name] = history = new Queue<(DateTimeOffset, long)>();
            }

            totals[name] = added;
            history.Enqueue((now, added));
            // Keep the newest sample at or before the window's start as the baseline.
            var from = now - alertOptions.Value.DeadLetterWindow;
            while (history.Count > 1 && history.ElementAt(1).At <= from)
            {
                history.Dequeue();
            }

            growth[name] = Math.Max(0, added - history.Peek().Added);
        }

        return (growth, totals);
    }

    private async Task WriteStatusAsync(IDatabase db, MonitorSnapshot s)
    {
        string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        await db.HashSetAsync(keys.MonitorStatus,
        [
            new("evaluations", evaluations),
            new("tunings", tunings),
            new("evaluated_at", s.At.ToUnixTimeMilliseconds()),
            new("window_queries", s.Window.Queries),
            new("latency_avg_ms", N(s.Window.Total.Avg)),
            new("latency_p50_ms", N(s.Window.Total.P50)),
            new("latency_p95_ms", N(s.Window.Total.P95)),
            new("latency_p99_ms", N(s.Window.Total.P99)),
            new("search_p95_ms", N(s.Window.Search.P95)),
            new("embed_p95_ms", N(s.Window.Embed.P95)),
            new("cache_hit_ratio", N(s.Window.CacheHitRate)),
            new("search_ef", s.Tuning?.Ef ?? 0),
            new("alerts_firing", string.Join(',', alerts.Firing.Order(StringComparer.Ordinal))),
        ]);
    }
}
