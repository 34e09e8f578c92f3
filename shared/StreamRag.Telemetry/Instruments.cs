namespace StreamRag.Telemetry;

/// <summary>
/// Every instrument of the fleet, defined once. Convention: OpenTelemetry names
/// <c>streamrag.&lt;area&gt;.&lt;name&gt;</c> in snake case with a UCUM unit (<c>ms</c>, <c>s</c>,
/// <c>By</c>, <c>1</c>, or a <c>{thing}</c> count); the Prometheus exporter shows them as
/// <see cref="Instrument.PrometheusName"/>. docs/operations.md lists them all, and a test keeps that
/// list equal to <see cref="All"/>.
/// </summary>
public static class Instruments
{
    private const string Embedder = "embedder";
    private const string Query = "query";
    private const string Sweeper = "sweeper";
    private const string Monitor = "monitor";

    private static readonly string[] Consumers = [Embedder, Query];
    private static readonly string[] Everyone = [Embedder, Query, Sweeper, Monitor];
    private static readonly string[] NoLabels = [];
    private static readonly string[] ByStream = ["stream"];
    private static readonly string[] ByGroup = ["stream", "group"];
    private static readonly string[] ByStat = ["stat"];
    private static readonly string[] ByResult = ["result"];
    private const string Measured = "once the tuner measured the current search_ef (Tuning:MinRecallSamples, Tuning:MinLatencySamples)";
    private const string QueryEngineOnly = "Index:Engine resolves to search (the Redis Query Engine)";

    private static Instrument Counter(string name, string unit, string description, string[] labels, params string[] hosts) =>
        new(name, InstrumentKind.Counter, unit, description, labels, hosts);

    private static Instrument Histogram(string name, string unit, string description, params string[] hosts) =>
        new(name, InstrumentKind.Histogram, unit, description, NoLabels, hosts);

    private static Instrument Gauge(string name, string unit, string description, string[] labels, params string[] hosts) =>
        new(name, InstrumentKind.ObservableGauge, unit, description, labels, hosts);

    /// <summary>Every consumer of a stream (ConsumerGroupRunner): embedder, query worker.</summary>
    public static class Consumer
    {
        public static readonly Instrument Entries = Counter("streamrag.consumer.entries", "{entry}", "Stream entries settled by this consumer, by outcome (acked, dead_lettered, retried)", ["stream", "outcome"], Consumers);
        public static readonly Instrument Reclaimed = Counter("streamrag.consumer.reclaimed", "{entry}", "Entries reclaimed from dead consumers", ByStream, Consumers) with { Condition = "once a consumer reclaimed entries of a dead one" };
        public static readonly Instrument Lag = Gauge("streamrag.consumer.lag", "{entry}", "Entries in the stream not yet delivered to the group, as this consumer last saw", ByGroup, Consumers);
        public static readonly Instrument Pending = Gauge("streamrag.consumer.pending", "{entry}", "Entries delivered to the group but not yet acknowledged, as this consumer last saw", ByGroup, Consumers);
    }

    public static class EmbedderHost
    {
        public static readonly Instrument Events = Counter("streamrag.embedder.events", "{event}", "Document events handled, by outcome (indexed, unchanged, stale, deleted, dead_lettered)", ["outcome"], Embedder);
        public static readonly Instrument ChunksEmbedded = Counter("streamrag.embedder.chunks_embedded", "{chunk}", "Chunks sent to the embedding provider", NoLabels, Embedder);
        public static readonly Instrument PassagesDropped = Counter("streamrag.embedder.passages_dropped", "{chunk}", "Chunks not stored: repeats, near-duplicates, nothing to search by", ["reason"], Embedder) with { Condition = "once a passage was dropped" };
        public static readonly Instrument EmbeddingDuration = Histogram("streamrag.embedder.embedding_duration", "ms", "Duration of one embedding call", Embedder);
        public static readonly Instrument EmbeddingBatchSize = Histogram("streamrag.embedder.embedding_batch_size", "{text}", "Texts per embedding call", Embedder);
        public static readonly Instrument Freshness = Histogram("streamrag.embedder.freshness", "ms", "From an event's arrival in the stream to its document being searchable", Embedder);
        public static readonly Instrument Paused = Gauge("streamrag.embedder.paused", "{bool}", "1 while intake is paused by back-pressure", NoLabels, Embedder);
        public static readonly Instrument RedisMemoryRatio = Gauge("streamrag.embedder.redis_memory_ratio", "1", "Redis used_memory / maxmemory as the embedder last measured it", NoLabels, Embedder);
        public static readonly Instrument WatchNotifications = Counter("streamrag.embedder.watch_notifications", "{notification}", "Watch notifications appended to notify_to streams (a passage matching a watch, once per document version)", NoLabels, Embedder) with { Condition = "once a passage matched a watch" };
        public static readonly Instrument WatchNotificationLatency = Histogram("streamrag.embedder.watch_notification_latency", "ms", "From a document event's XADD to the notifications of its passages appended", Embedder) with { Condition = "once a passage matched a watch" };
    }

    public static class QueryHost
    {
        public static readonly Instrument Requests = Counter("streamrag.query.requests", "{request}", "Query requests answered, by status (ok or the error code)", ["status"], Query);
        public static readonly Instrument Cache = Counter("streamrag.query.cache", "{request}", "Reply-cache lookups, by result (hit, miss)", ByResult, Query);
        public static readonly Instrument EmbeddingCache = Counter("streamrag.query.embedding_cache", "{lookup}", "Query-embedding cache lookups, by result (hit, miss)", ByResult, Query);
        public static readonly Instrument Duration = Histogram("streamrag.query.duration", "ms", "Time from the request entering the stream to the reply being sent", Query);
        public static readonly Instrument SearchDuration = Histogram("streamrag.query.search_duration", "ms", "Time spent in the vector search (and re-ranking)", Query);
        public static readonly Instrument QueueWait = Histogram("streamrag.query.queue_wait", "ms", "Time a request waited in the stream", Query);
    }

    public static class SweeperHost
    {
        public static readonly Instrument Expired = Counter("streamrag.sweeper.expired", "{document}", "Documents deleted because they expired", NoLabels, Sweeper);
        public static readonly Instrument Skipped = Counter("streamrag.sweeper.skipped", "{document}", "Documents picked as due but not deleted: updated with a later expiry, or taken by another sweeper", NoLabels, Sweeper);
        public static readonly Instrument DeletionsPublished = Counter("streamrag.sweeper.deletions_published", "{record}", "Deletion records copied to the document-deletions audit stream", NoLabels, Sweeper);
        public static readonly Instrument DeletionsRecovered = Counter("streamrag.sweeper.deletions_recovered", "{record}", "Deletion records published on behalf of a sweeper that stopped between deleting and publishing", NoLabels, Sweeper);
        public static readonly Instrument Passes = Counter("streamrag.sweeper.passes", "{pass}", "Sweep passes completed", NoLabels, Sweeper);
        public static readonly Instrument Failures = Counter("streamrag.sweeper.failures", "{pass}", "Sweep passes that failed (Redis unreachable); retried next interval", NoLabels, Sweeper);
        public static readonly Instrument Lag = Gauge("streamrag.sweeper.lag", "s", "How late the earliest document of the latest batch was deleted (0 when nothing was due)", NoLabels, Sweeper);
        public static readonly Instrument LastPassTimestamp = Gauge("streamrag.sweeper.last_pass_timestamp", "s", "Unix time the latest sweep pass completed", NoLabels, Sweeper);
    }

    /// <summary>The monitor's own work and the window of query metrics it judges.</summary>
    public static class MonitorHost
    {
        public static readonly Instrument Ingested = Counter("streamrag.monitor.ingested", "{entry}", "Query-metrics entries read into the window", NoLabels, Monitor);
        public static readonly Instrument Malformed = Counter("streamrag.monitor.malformed", "{entry}", "Query-metrics entries skipped as unreadable", NoLabels, Monitor);
        public static readonly Instrument Evaluations = Counter("streamrag.monitor.evaluations", "{evaluation}", "Evaluations completed (Redis read, figures computed, rules judged)", NoLabels, Monitor);
        public static readonly Instrument EvaluationFailures = Counter("streamrag.monitor.evaluation_failures", "{evaluation}", "Evaluations that failed (Redis unreachable)", NoLabels, Monitor);
        public static readonly Instrument RecallChecks = Counter("streamrag.monitor.recall_checks", "{query}", "Sampled queries repeated exactly to measure recall", NoLabels, Monitor);
        public static readonly Instrument SearchEfChanges = Counter("streamrag.monitor.search_ef_changes", "{change}", "Changes of search_ef made by the tuner", NoLabels, Monitor);
        public static readonly Instrument AlertTransitions = Counter("streamrag.monitor.alert_transitions", "{alert}", "Alerts published, by rule and state (firing, resolved)", ["rule", "state"], Monitor);
        public static readonly Instrument WindowQueries = Gauge("streamrag.monitor.window_queries", "{query}", "Queries in the rolling window", NoLabels, Monitor);
        public static readonly Instrument WindowErrors = Gauge("streamrag.monitor.window_errors", "{query}", "Failed queries in the rolling window", NoLabels, Monitor);
        public static readonly Instrument QueryRate = Gauge("streamrag.monitor.query_rate", "{query}", "Queries per second over the window", NoLabels, Monitor);
        public static readonly Instrument QueryLatency = Gauge("streamrag.monitor.query_latency", "ms", "End-to-end query time over the window, by stat (avg, p50, p95, p99)", ByStat, Monitor);
        public static readonly Instrument SearchLatency = Gauge("streamrag.monitor.search_latency", "ms", "Vector-search time over the window (cache misses), by stat", ByStat, Monitor);
        public static readonly Instrument EmbedLatency = Gauge("streamrag.monitor.embed_latency", "ms", "Question-embedding time over the window (cache misses), by stat", ByStat, Monitor);
        public static readonly Instrument CacheHitRatio = Gauge("streamrag.monitor.cache_hit_ratio", "1", "Share of queries answered from the cache over the window", NoLabels, Monitor);
    }

    /// <summary>Redis as the monitor reads it (INFO).</summary>
    public static class Redis
    {
        public static readonly Instrument UsedMemory = Gauge("streamrag.redis.used_memory", "By", "INFO used_memory", NoLabels, Monitor);
        public static readonly Instrument MaxMemory = Gauge("streamrag.redis.maxmemory", "By", "INFO maxmemory (0 = no limit)", NoLabels, Monitor);
        public static readonly Instrument ConnectedClients = Gauge("streamrag.redis.connected_clients", "{client}", "INFO connected_clients", NoLabels, Monitor);
        public static readonly Instrument BlockedClients = Gauge("streamrag.redis.blocked_clients", "{client}", "INFO blocked_clients", NoLabels, Monitor);
        public static readonly Instrument OpsRate = Gauge("streamrag.redis.ops_rate", "{operation}", "INFO instantaneous_ops_per_sec", NoLabels, Monitor);
        public static readonly Instrument EvictedKeys = Gauge("streamrag.redis.evicted_keys", "{key}", "INFO evicted_keys", NoLabels, Monitor);
    }

    /// <summary>The index, streams, groups, search tuning and alerts as the monitor sees them.</summary>
    public static class Fleet
    {
        public static readonly Instrument IndexVectors = Gauge("streamrag.index.vectors", "{vector}", "Chunks (vectors) in the index, all tenants", NoLabels, Monitor);
        public static readonly Instrument IndexMemory = Gauge("streamrag.index.memory", "By", "Memory of the vector sets", NoLabels, Monitor);
        public static readonly Instrument IndexTenants = Gauge("streamrag.index.tenants", "{tenant}", "Tenants with an index", NoLabels, Monitor);
        public static readonly Instrument Watches = Gauge("streamrag.watch.count", "{watch}", "Watches (standing queries) registered and not yet removed, all tenants (an expired one counts until the sweeper removes it)", NoLabels, Monitor);
        public static readonly Instrument StreamLength = Gauge("streamrag.stream.length", "{entry}", "XLEN of each stream, by stream", ByStream, Monitor);
        public static readonly Instrument DeadLetterLength = Gauge("streamrag.dead_letter.length", "{entry}", "XLEN of each dead-letter stream, by stream", ByStream, Monitor);
        public static readonly Instrument DeadLettersAdded = new("streamrag.dead_letter.added", InstrumentKind.ObservableCounter, "{entry}", "Entries ever added to each dead-letter stream (XINFO STREAM entries-added; trimming does not lower it), by stream", ByStream, [Monitor]);
        public static readonly Instrument GroupLag = Gauge("streamrag.group.lag", "{entry}", "Entries a worker group has not read yet, by stream and group", ByGroup, Monitor);
        public static readonly Instrument GroupPending = Gauge("streamrag.group.pending", "{entry}", "Entries read but not acknowledged, by stream and group", ByGroup, Monitor);
        public static readonly Instrument GroupConsumers = Gauge("streamrag.group.consumers", "{consumer}", "Consumers registered in a group", ByGroup, Monitor);
        public static readonly Instrument GroupLiveConsumers = Gauge("streamrag.group.live_consumers", "{consumer}", "Consumers Redis saw within Alerts:ConsumerDeadAfter (0 when the group is missing)", ByGroup, Monitor);
        public static readonly Instrument GroupMaxPendingIdle = Gauge("streamrag.group.max_pending_idle", "ms", "Longest time a pending entry of the group has gone without being delivered, reclaimed or kept alive (over its oldest 1,000 pending entries; 0 when none is pending)", ByGroup, Monitor);
        public static readonly Instrument GroupStuckEntries = Gauge("streamrag.group.stuck_entries", "{entry}", "Pending entries of the group idle longer than Alerts:MaxPendingIdle", ByGroup, Monitor);
        public static readonly Instrument SearchEf = Gauge("streamrag.search.ef", "{candidate}", "search_ef in the settings hash (what query workers use by default)", NoLabels, Monitor);
        public static readonly Instrument SearchRecall = Gauge("streamrag.search.recall", "1", "Mean recall@k measured at the current search_ef", NoLabels, Monitor) with { Condition = Measured };
        public static readonly Instrument SearchP99 = Gauge("streamrag.search.latency_p99", "ms", "p99 search time at the current search_ef", NoLabels, Monitor) with { Condition = Measured };
        public static readonly Instrument SearchTuningStuck = Gauge("streamrag.search.tuning_stuck", "{bool}", "1 when recall is below the floor and the tuner cannot raise search_ef", NoLabels, Monitor);
        public static readonly Instrument SearchRecallFloor = Gauge("streamrag.search.recall_floor", "1", "Tuning:RecallFloor", NoLabels, Monitor);
        public static readonly Instrument SearchEfMax = Gauge("streamrag.search.ef_max", "{candidate}", "Tuning:MaxEf", NoLabels, Monitor);
        public static readonly Instrument AlertFiring = Gauge("streamrag.alert.firing", "{alert}", "1 for each alert firing, by rule and subject", ["rule", "subject"], Monitor);
    }

    /// <summary>FT.INFO figures of the Query Engine index, exported by every host that uses that engine.</summary>
    public static class SearchIndex
    {
        public static readonly Instrument Documents = new("streamrag.search_index.documents", InstrumentKind.ObservableGauge, "{chunk}", "Chunks (documents of the FT index) indexed", NoLabels, Everyone, QueryEngineOnly);
        public static readonly Instrument Memory = new("streamrag.search_index.memory", InstrumentKind.ObservableGauge, "By", "Memory of the whole FT index as FT.INFO reports it", NoLabels, Everyone, QueryEngineOnly);
        public static readonly Instrument VectorMemory = new("streamrag.search_index.vector_memory", InstrumentKind.ObservableGauge, "By", "Memory of the vector index as FT.INFO reports it", NoLabels, Everyone, QueryEngineOnly);
        public static readonly Instrument IndexingFailures = new("streamrag.search_index.indexing_failures", InstrumentKind.ObservableGauge, "{chunk}", "Chunk hashes the FT index could not index (e.g. a vector of the wrong size)", NoLabels, Everyone, QueryEngineOnly);
        public static readonly Instrument IndexedRatio = new("streamrag.search_index.indexed_ratio", InstrumentKind.ObservableGauge, "1", "Progress of the background scan after FT.CREATE (1 when done)", NoLabels, Everyone, QueryEngineOnly);
        public static readonly Instrument Indexing = new("streamrag.search_index.indexing", InstrumentKind.ObservableGauge, "{bool}", "1 while the FT index is scanning existing keys in the background", NoLabels, Everyone, QueryEngineOnly);
    }

    /// <summary>Every instrument above.</summary>
    public static IReadOnlyList<Instrument> All => AllInstruments.Value;

    // Lazy: the nested classes' fields use this class's statics, so this class must not read them while it initialises.
    private static readonly Lazy<IReadOnlyList<Instrument>> AllInstruments = new(() =>
        typeof(Instruments).GetNestedTypes()
            .SelectMany(t => t.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            .Where(f => f.FieldType == typeof(Instrument))
            .Select(f => (Instrument)f.GetValue(null)!)
            .ToArray());
}
