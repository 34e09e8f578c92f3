using System.Globalization;

namespace StreamRag.Monitor;

/// <summary>
/// The alert rules, as pure functions of a snapshot (the same conditions as deploy/prometheus/rules.yml).
/// Each condition carries the figures that decided it and a recommended action worked out from
/// those figures (which stage is slow, which role has no consumer, which knob is at its bound).
/// </summary>
internal static class AlertRules
{
    public const string QueryLatency = "query_latency";
    public const string SearchSlow = "search_slow";
    public const string MemoryHigh = "memory_high";
    public const string ConsumerLag = "consumer_lag";
    public const string DeadLetters = "dead_letters";
    public const string NoLiveConsumer = "no_live_consumer";
    public const string RecallLow = "recall_low";
    public const string StuckWork = "stuck_work";

    private const string Warning = "warning";
    private const string Critical = "critical";

    public static IReadOnlyList<AlertCondition> Evaluate(MonitorSnapshot s, AlertOptions options, TuningOptions tuning)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tuning);
        var conditions = new List<AlertCondition>
        {
            Latency(s, options),
            Search(s, options),
            Memory(s, options),
            Recall(s, tuning),
        };
        foreach (var g in s.Redis.Groups)
        {
            conditions.Add(Lag(g, options));
            if (g.Exists)
            {
                conditions.Add(Stuck(g, options));
            }

            if (g.NeedsLiveConsumer)
            {
                conditions.Add(Liveness(g, s.At, options));
            }
        }

        foreach (var (stream, growth) in s.DeadLetterGrowth)
        {
            conditions.Add(DeadLetter(stream, growth, s.Redis.DeadLetterLengths.GetValueOrDefault(stream), options.DeadLetterWindow, options));
        }

        return conditions;
    }

    private static AlertCondition Latency(MonitorSnapshot s, AlertOptions o)
    {
        var w = s.Window;
        var judged = w.Queries >= o.MinQueries;
        var avg = w.Total.Avg;
        var queue = w.Queue.Avg;
        var embed = w.Embed.Avg;
        var search = w.Search.Avg;
        string action;
        if (queue >= embed && queue >= search)
        {
            action = F($"Requests wait {queue:0} ms in the query-request stream before a worker takes them: start more query workers (each joins the query-workers group and takes a share), or raise Consumer:MaxInFlight on the running ones.");
        }
        else if (embed >= search)
        {
            action = F($"Embedding the question takes {embed:0} ms: scale the embedding provider (or raise its rate limit); more query workers will not help while the provider is the bottleneck. Cache hit rate is {w.CacheHitRate:P0}.");
        }
        else
        {
            action = F($"Vector search takes {search:0} ms: lower the search effort (Tuning:MaxEf bounds search_ef), or raise Redis:Shards so each search walks a smaller graph, or give Redis more CPU.");
        }

        return new AlertCondition(
            QueryLatency, "", Warning, judged && avg > o.AvgLatencyMs, avg, o.AvgLatencyMs,
            F($"Average query latency {avg:0.#} ms over the last {w.Length.TotalSeconds:0} s exceeds {o.AvgLatencyMs:0.#} ms ({w.Queries} queries; p50 {w.Total.P50:0.#}, p95 {w.Total.P95:0.#}, p99 {w.Total.P99:0.#} ms; queue {queue:0.#}, embed {embed:0.#}, search {search:0.#} ms)"),
            action,
            [
                new("queries", w.Queries), new("avg_ms", avg), new("p50_ms", w.Total.P50), new("p95_ms", w.Total.P95), new("p99_ms", w.Total.P99),
                new("queue_avg_ms", queue), new("embed_avg_ms", embed), new("search_avg_ms", search), new("cache_hit_rate", w.CacheHitRate),
                new("window_s", w.Length.TotalSeconds),
            ])
        {
            ResolvedSummary = judged
                ? F($"Average query latency is back under {o.AvgLatencyMs:0.#} ms: {avg:0.#} ms over the last {w.Length.TotalSeconds:0} s ({w.Queries} queries)")
                : TooFew("Average query latency", w, o),
        };
    }

    private static AlertCondition Search(MonitorSnapshot s, AlertOptions o)
    {
        var w = s.Window;
        var p95 = w.Search.P95;
        var ef = s.Tuning?.Ef;
        var vectors = s.Redis.Index.Vectors;
        return new AlertCondition(
            SearchSlow, "", Warning, w.Queries >= o.MinQueries && p95 > o.SearchP95Ms, p95, o.SearchP95Ms,
            F($"Vector search p95 {p95:0.#} ms over the last {w.Length.TotalSeconds:0} s exceeds {o.SearchP95Ms:0.#} ms (p99 {w.Search.P99:0.#} ms, {vectors} vectors, search_ef {(ef?.ToString(CultureInfo.InvariantCulture) ?? "default")})"),
            F($"Lower the search effort: set Tuning:MaxEf below {(ef?.ToString(CultureInfo.InvariantCulture) ?? "the current search_ef")} (the tuner keeps search_ef within it). If recall must stay, split the work instead: raise Redis:Shards (each of the {s.Redis.Index.Tenants} tenants' partitions is searched in parallel), or move to a Redis with more CPU."),
            [new("p95_ms", p95), new("p99_ms", w.Search.P99), new("avg_ms", w.Search.Avg), new("queries", w.Queries), new("vectors", vectors), new("search_ef", ef ?? 0)])
        {
            ResolvedSummary = w.Queries >= o.MinQueries
                ? F($"Vector search p95 is back under {o.SearchP95Ms:0.#} ms: {p95:0.#} ms over the last {w.Length.TotalSeconds:0} s ({w.Queries} queries)")
                : TooFew("Vector search p95", w, o),
        };
    }

    /// <summary>A latency rule that resolved because the window has too few queries to judge, not because latency fell.</summary>
    private static string TooFew(string figure, WindowSnapshot w, AlertOptions o) =>
        F($"{figure} is no longer judged: {w.Queries} queries over the last {w.Length.TotalSeconds:0} s, fewer than Alerts:MinQueries ({o.MinQueries})");

    private static AlertCondition Memory(MonitorSnapshot s, AlertOptions o)
    {
        var r = s.Redis;
        var ratio = r.MaxMemory > 0 ? r.UsedMemory / (double)r.MaxMemory : 0;
        return new AlertCondition(
            MemoryHigh, "", Critical, r.MaxMemory > 0 && ratio > o.MemoryRatio, ratio, o.MemoryRatio,
            F($"Redis uses {r.UsedMemory / 1048576.0:0.#} MiB, {ratio:P0} of maxmemory {r.MaxMemory / 1048576.0:0.#} MiB (vectors: {r.Index.Vectors}, {r.Index.MemoryBytes / 1048576.0:0.#} MiB; evicted keys so far: {r.EvictedKeys})"),
            F($"Before writes fail: raise maxmemory or move to a larger node; shrink vectors with Index:Quantization=Q8 (4x smaller than NOQUANT) or BIN (32x); shorten retention (Retention:DefaultBySource) so the sweeper frees memory sooner; or spread partitions over a Redis Cluster (Redis:Shards). The index holds {r.Index.MemoryBytes * 100.0 / Math.Max(1, r.UsedMemory):0}% of used memory."),
            [new("used_bytes", r.UsedMemory), new("maxmemory_bytes", r.MaxMemory), new("ratio", ratio), new("index_bytes", r.Index.MemoryBytes), new("vectors", r.Index.Vectors), new("evicted_keys", r.EvictedKeys)])
        {
            ResolvedSummary = r.MaxMemory > 0
                ? F($"Redis memory is back under {o.MemoryRatio:P0} of maxmemory: {r.UsedMemory / 1048576.0:0.#} MiB, {ratio:P0} of {r.MaxMemory / 1048576.0:0.#} MiB")
                : F($"Redis has no maxmemory any more ({r.UsedMemory / 1048576.0:0.#} MiB used): nothing to compare with"),
        };
    }

    private static AlertCondition Lag(GroupState g, AlertOptions o)
    {
        var lag = g.Lag ?? 0;
        var action = g.Role == "monitor"
            ? F($"The monitor falls behind the query-metrics stream: give its host more CPU, or lower the sampling rate of the query workers.")
            : F($"Start more {g.Role}s: each joins group '{g.Group}' and takes a share of {g.Stream} ({g.LiveConsumers} live now); or raise Consumer:MaxInFlight and Consumer:ReadCount on the running ones.");
        return new AlertCondition(
            ConsumerLag, $"{g.Stream}/{g.Group}", Warning, g.Exists && lag > o.MaxConsumerLag, lag, o.MaxConsumerLag,
            F($"Group '{g.Group}' is {lag} entries behind on {g.Stream} ({g.Pending} pending, {g.LiveConsumers} of {g.Consumers} consumers live)"),
            action,
            [new("lag", lag), new("pending", g.Pending), new("consumers", g.Consumers), new("live_consumers", g.LiveConsumers)])
        {
            ResolvedSummary = F($"Group '{g.Group}' on {g.Stream} is back within {o.MaxConsumerLag} entries of lag: {lag} behind ({g.Pending} pending)"),
        };
    }

    private static AlertCondition Liveness(GroupState g, DateTimeOffset now, AlertOptions o)
    {
        var summary = g.Exists
            ? F($"No live consumer in group '{g.Group}' on {g.Stream}: {g.Consumers} registered, none seen in {o.ConsumerDeadAfter.TotalSeconds:0} s ({g.Lag ?? 0} entries unread, {g.Pending} pending)")
            : F($"Group '{g.Group}' does not exist on {g.Stream}: no {g.Role} has ever consumed it");
        var action = F($"Start {g.Role}s (./run.sh starts the fleet, or scale the {g.Role} deployment up); if one runs, read its log for a crash loop or a Redis connection error.");
        if (g.Consumers > 0)
        {
            action += F($" Stale consumers can be removed with XGROUP DELCONSUMER {g.Stream} {g.Group} <name> once their pending entries are claimed.");
        }

        // A group that just appeared (or that this monitor just began to watch) has no consumer yet
        // while its workers start: only after the grace does an empty group count.
        var observedFor = now - g.ObservedSince;
        var inGrace = observedFor < o.NoConsumerGrace;
        return new AlertCondition(
            NoLiveConsumer, $"{g.Stream}/{g.Group}", Critical, (!g.Exists || g.LiveConsumers == 0) && !inGrace, g.LiveConsumers, 1,
            summary, action,
            [
                new("consumers", g.Consumers), new("live_consumers", g.LiveConsumers), new("lag", g.Lag ?? 0), new("pending", g.Pending), new("group_exists", g.Exists ? 1 : 0),
                new("observed_s", Math.Max(0, observedFor.TotalSeconds)), new("grace_s", o.NoConsumerGrace.TotalSeconds),
            ])
        {
            ResolvedSummary = F($"Group '{g.Group}' on {g.Stream} has a live consumer again: {g.LiveConsumers} of {g.Consumers} seen within {o.ConsumerDeadAfter.TotalSeconds:0} s"),
        };
    }

    private static AlertCondition Stuck(GroupState g, AlertOptions o)
    {
        var idle = g.Idle;
        var threshold = o.MaxPendingIdle.TotalSeconds;
        var longest = idle?.Longest;
        var maxIdle = (idle?.MaxIdleMs ?? 0) / 1000.0;
        var stuck = idle?.Stuck ?? 0;
        var examined = idle is { } i && i.Examined < g.Pending ? F($" (the {i.Examined} oldest of {g.Pending} pending examined)") : "";
        var held = longest is null
            ? ""
            : F($"; longest {longest.IdleMs / 1000.0:0} s: entry {longest.Id}, held by consumer {longest.Consumer}, delivered {longest.Deliveries} time{(longest.Deliveries == 1 ? "" : "s")}{(longest.AgeMs is { } age ? F($", added {age / 1000.0:0} s ago") : "")}");
        string action;
        if (g.LiveConsumers == 0)
        {
            action = F($"No live consumer is left to reclaim them: start {g.Role}s (a live consumer reclaims entries idle longer than Consumer:ClaimIdle and processes them).");
        }
        else if (longest is { Deliveries: > 1 })
        {
            action = F($"Entry {longest.Id} was delivered {longest.Deliveries} times and is still not done: it may fail or hang every consumer that takes it. Read it (XRANGE {g.Stream} {longest.Id} {longest.Id}) and the {g.Role} logs; to set it aside, XADD its fields to the dead-letter stream and XACK {g.Stream} {g.Group} {longest.Id}.");
        }
        else
        {
            action = F($"Consumer {longest?.Consumer} holds them without progress or keep-alive: it is hung or gone. Live consumers ({g.LiveConsumers}) should reclaim entries idle longer than Consumer:ClaimIdle; if they do not, read their logs for reclaim errors, or restart {longest?.Consumer}'s host.");
        }

        return new AlertCondition(
            StuckWork, $"{g.Stream}/{g.Group}", Warning, stuck > 0, maxIdle, threshold,
            F($"{stuck} pending entr{(stuck == 1 ? "y" : "ies")} of group '{g.Group}' on {g.Stream} made no progress for more than {threshold:0} s{examined}{held}"),
            action,
            [
                new("stuck", stuck), new("pending", g.Pending), new("examined", idle?.Examined ?? 0), new("max_idle_ms", idle?.MaxIdleMs ?? 0),
                new("threshold_ms", o.MaxPendingIdle.TotalMilliseconds), new("longest_id", longest?.Id ?? ""), new("longest_consumer", longest?.Consumer ?? ""),
                new("longest_deliveries", longest?.Deliveries ?? 0), new("live_consumers", g.LiveConsumers),
            ])
        {
            ResolvedSummary = F($"No pending entry of group '{g.Group}' on {g.Stream} has gone more than {threshold:0} s without progress now (longest {maxIdle:0} s, {g.Pending} pending)"),
        };
    }

    private static AlertCondition DeadLetter(string stream, long growth, long length, TimeSpan window, AlertOptions o) =>
        new(
            DeadLetters, stream, Warning, growth >= o.DeadLetterGrowth, growth, o.DeadLetterGrowth,
            F($"{growth} new entries in dead-letter stream {stream} in the last {window.TotalSeconds:0} s ({length} in all)"),
            F($"Read the newest with XREVRANGE {stream} + - COUNT 10: field dlq_reason says why each failed. Fix the producer (contract errors) or the worker (crashes), then XADD the originals back to the source stream and XTRIM the dead letters."),
            [new("new_entries", growth), new("length", length), new("window_s", window.TotalSeconds)])
        {
            ResolvedSummary = F($"Dead letters on {stream} are back under {o.DeadLetterGrowth} new in {window.TotalSeconds:0} s: {growth} in the last {window.TotalSeconds:0} s ({length} in all)"),
        };

    private static AlertCondition Recall(MonitorSnapshot s, TuningOptions t)
    {
        var state = s.Tuning;
        var recall = state?.Measurement.Recall ?? 1;
        var stuck = state?.Decision.Stuck == true;
        var atMax = state is not null && state.Ef >= t.MaxEf;
        var action = atMax
            ? F($"search_ef is at Tuning:MaxEf ({t.MaxEf}): raise Tuning:MaxEf, or rebuild the index with a larger Index:M / Index:EfConstruction, or use Index:Quantization=NOQUANT.")
            : F($"The latency budget ({t.LatencyBudgetMs} ms p99) forbids a higher search_ef: add search capacity (Redis:Shards, more Redis CPU) or relax Tuning:LatencyBudgetMs; or rebuild with a larger Index:M.");
        return new AlertCondition(
            RecallLow, "", Warning, stuck, recall, t.RecallFloor,
            F($"Search recall {recall:0.###} is below the floor {t.RecallFloor} at search_ef {state?.Ef ?? 0} and the tuner cannot raise it (p99 search {state?.Measurement.SearchP99Ms ?? 0:0.#} ms, budget {t.LatencyBudgetMs} ms)"),
            action,
            [
                new("recall", recall), new("recall_floor", t.RecallFloor), new("recall_checks", state?.Measurement.RecallSamples ?? 0),
                new("search_ef", state?.Ef ?? 0), new("max_ef", t.MaxEf), new("search_p99_ms", state?.Measurement.SearchP99Ms ?? 0), new("budget_ms", t.LatencyBudgetMs),
            ])
        {
            ResolvedSummary = state?.Measurement.Recall is { } measured && measured >= t.RecallFloor
                ? F($"Search recall is back at or above the floor {t.RecallFloor}: {measured:0.###} at search_ef {state.Ef}")
                : F($"The tuner can raise search_ef again to bring recall {recall:0.###} up to the floor {t.RecallFloor} (search_ef {state?.Ef ?? 0})"),
        };
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
