using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using StreamRag.Hosting;

namespace StreamRag.Monitor;

/// <summary>
/// The monitor's instruments: counters of its own work, and gauges of the latest evaluation (window
/// figures, Redis state, tuning, firing alerts) so Prometheus sees what the monitor judged.
/// Names as Prometheus shows them are listed in docs/operations.md.
/// </summary>
internal sealed class MonitorMetrics
{
    private MonitorSnapshot? latest;
    private IReadOnlyCollection<string> firing = [];

    public MonitorMetrics(IMeterFactory meters, IOptions<TuningOptions> tuning)
    {
        var meter = meters.Create(StreamRagHosting.MeterName);
        Ingested = meter.CreateCounter<long>("rag_monitor_ingested", description: "Query-metrics entries read into the window.");
        Malformed = meter.CreateCounter<long>("rag_monitor_malformed", description: "Query-metrics entries skipped as unreadable.");
        Evaluations = meter.CreateCounter<long>("rag_monitor_evaluations", description: "Evaluations completed (Redis read, figures computed, rules judged).");
        EvaluationFailures = meter.CreateCounter<long>("rag_monitor_evaluation_failures", description: "Evaluations that failed (Redis unreachable).");
        RecallChecks = meter.CreateCounter<long>("rag_monitor_recall_checks", description: "Sampled queries repeated exactly to measure recall.");
        EfChanges = meter.CreateCounter<long>("rag_monitor_search_ef_changes", description: "Changes of search_ef made by the tuner.");
        AlertTransitions = meter.CreateCounter<long>("rag_monitor_alert_transitions", description: "Alerts published, by rule and state (firing/resolved).");

        meter.CreateObservableGauge("rag_monitor_window_queries", () => Gauge(s => s.Window.Queries), description: "Queries in the rolling window.");
        meter.CreateObservableGauge("rag_monitor_window_errors", () => Gauge(s => s.Window.Errors), description: "Failed queries in the rolling window.");
        meter.CreateObservableGauge("rag_monitor_queries_per_second", () => Gauge(s => s.Window.QueriesPerSecond), description: "Query rate over the window.");
        meter.CreateObservableGauge("rag_monitor_query_latency_ms", () => Stats(s => s.Window.Total), description: "End-to-end query time over the window, by stat (avg, p50, p95, p99).");
        meter.CreateObservableGauge("rag_monitor_search_ms", () => Stats(s => s.Window.Search), description: "Vector-search time over the window (cache misses), by stat.");
        meter.CreateObservableGauge("rag_monitor_embed_ms", () => Stats(s => s.Window.Embed), description: "Question-embedding time over the window (cache misses), by stat.");
        meter.CreateObservableGauge("rag_monitor_cache_hit_ratio", () => Gauge(s => s.Window.CacheHitRate), description: "Share of queries answered from the cache over the window.");

        meter.CreateObservableGauge("rag_redis_used_memory_bytes", () => Gauge(s => s.Redis.UsedMemory), description: "INFO used_memory.");
        meter.CreateObservableGauge("rag_redis_maxmemory_bytes", () => Gauge(s => s.Redis.MaxMemory), description: "INFO maxmemory (0 = no limit).");
        meter.CreateObservableGauge("rag_redis_connected_clients", () => Gauge(s => s.Redis.ConnectedClients), description: "INFO connected_clients.");
        meter.CreateObservableGauge("rag_redis_blocked_clients", () => Gauge(s => s.Redis.BlockedClients), description: "INFO blocked_clients.");
        meter.CreateObservableGauge("rag_redis_ops_per_second", () => Gauge(s => s.Redis.OpsPerSecond), description: "INFO instantaneous_ops_per_sec.");
        meter.CreateObservableGauge("rag_redis_evicted_keys", () => Gauge(s => s.Redis.EvictedKeys), description: "INFO evicted_keys.");
        meter.CreateObservableGauge("rag_index_vectors", () => Gauge(s => s.Redis.Index.Vectors), description: "Chunks (vectors) in the index, all tenants.");
        meter.CreateObservableGauge("rag_index_memory_bytes", () => Gauge(s => s.Redis.Index.MemoryBytes), description: "Memory of the vector sets.");
        meter.CreateObservableGauge("rag_index_tenants", () => Gauge(s => s.Redis.Index.Tenants), description: "Tenants with an index.");
        meter.CreateObservableGauge("rag_stream_length", () => PerStream(s => s.Redis.StreamLengths), description: "XLEN of each stream, by stream.");
        meter.CreateObservableCounter("rag_dead_letters_added", () => PerStream(s => s.DeadLettersAdded),
            description: "Entries ever added to each dead-letter stream (XINFO STREAM entries-added; trimming does not lower it), by stream.");
        meter.CreateObservableGauge("rag_dead_letter_length", () => PerStream(s => s.Redis.DeadLetterLengths), description: "XLEN of each dead-letter stream, by stream.");
        meter.CreateObservableGauge("rag_consumer_group_lag", () => PerGroup(g => g.Lag ?? 0), description: "Entries a worker group has not read yet, by stream and group.");
        meter.CreateObservableGauge("rag_consumer_group_pending", () => PerGroup(g => g.Pending), description: "Entries read but not acknowledged, by stream and group.");
        meter.CreateObservableGauge("rag_consumer_group_consumers", () => PerGroup(g => g.Consumers), description: "Consumers registered in a group.");
        meter.CreateObservableGauge("rag_consumer_group_live_consumers", () => PerGroup(g => g.LiveConsumers), description: "Consumers Redis saw within Alerts:ConsumerDeadAfter.");
        meter.CreateObservableGauge("rag_consumer_group_max_pending_idle_ms", () => PerGroup(g => g.Idle?.MaxIdleMs ?? 0),
            description: "Longest time a pending entry of the group has gone without being delivered, reclaimed or kept alive (over its oldest 1,000 pending entries; 0 when none is pending).");
        meter.CreateObservableGauge("rag_consumer_group_stuck_entries", () => PerGroup(g => g.Idle?.Stuck ?? 0),
            description: "Pending entries of the group idle longer than Alerts:MaxPendingIdle.");

        meter.CreateObservableGauge("rag_search_ef", () => Gauge(s => s.Tuning?.Ef), description: "search_ef in the settings hash (what query workers use by default).");
        meter.CreateObservableGauge("rag_search_recall", () => Gauge(s => s.Tuning?.Measurement.Recall), description: "Mean recall@k measured at the current search_ef.");
        meter.CreateObservableGauge("rag_search_p99_ms", () => Gauge(s => s.Tuning?.Measurement.SearchP99Ms), description: "p99 search time at the current search_ef.");
        meter.CreateObservableGauge("rag_search_tuning_stuck", () => Gauge(s => s.Tuning is { } t ? (t.Decision.Stuck ? 1 : 0) : null), description: "1 when recall is below the floor and the tuner cannot raise search_ef.");
        var t = tuning.Value;
        meter.CreateObservableGauge("rag_search_recall_floor", () => t.RecallFloor, description: "Tuning:RecallFloor.");
        meter.CreateObservableGauge("rag_search_ef_max", () => t.MaxEf, description: "Tuning:MaxEf.");
        meter.CreateObservableGauge("rag_alert_firing", Firing, description: "1 for each alert firing, by rule and subject.");
    }

    public Counter<long> Ingested { get; }

    public Counter<long> Malformed { get; }

    public Counter<long> Evaluations { get; }

    public Counter<long> EvaluationFailures { get; }

    public Counter<long> RecallChecks { get; }

    public Counter<long> EfChanges { get; }

    public Counter<long> AlertTransitions { get; }

    public void Publish(MonitorSnapshot snapshot, IReadOnlyCollection<string> firingKeys)
    {
        Volatile.Write(ref latest, snapshot);
        Volatile.Write(ref firing, firingKeys);
    }

    private IEnumerable<Measurement<double>> Gauge(Func<MonitorSnapshot, double?> read)
    {
        if (Volatile.Read(ref latest) is { } s && read(s) is { } value)
        {
            yield return new Measurement<double>(value);
        }
    }

    private IEnumerable<Measurement<double>> Stats(Func<MonitorSnapshot, Distribution> read)
    {
        if (Volatile.Read(ref latest) is not { } s)
        {
            yield break;
        }

        var d = read(s);
        yield return new Measurement<double>(d.Avg, new KeyValuePair<string, object?>("stat", "avg"));
        yield return new Measurement<double>(d.P50, new KeyValuePair<string, object?>("stat", "p50"));
        yield return new Measurement<double>(d.P95, new KeyValuePair<string, object?>("stat", "p95"));
        yield return new Measurement<double>(d.P99, new KeyValuePair<string, object?>("stat", "p99"));
    }

    private IEnumerable<Measurement<double>> PerStream(Func<MonitorSnapshot, IReadOnlyDictionary<string, long>> read)
    {
        if (Volatile.Read(ref latest) is not { } s)
        {
            yield break;
        }

        foreach (var (stream, length) in read(s))
        {
            yield return new Measurement<double>(length, new KeyValuePair<string, object?>("stream", stream));
        }
    }

    private IEnumerable<Measurement<double>> PerGroup(Func<GroupState, double> read)
    {
        if (Volatile.Read(ref latest) is not { } s)
        {
            yield break;
        }

        foreach (var g in s.Redis.Groups)
        {
            yield return new Measurement<double>(read(g), new("stream", g.Stream), new("group", g.Group));
        }
    }

    private IEnumerable<Measurement<double>> Firing()
    {
        foreach (var key in Volatile.Read(ref firing))
        {
            var bar = key.IndexOf('|', StringComparison.Ordinal);
            yield return new Measurement<double>(1, new("rule", bar < 0 ? key : key[..bar]), new("subject", bar < 0 ? "" : key[(bar + 1)..]));
        }
    }
}
