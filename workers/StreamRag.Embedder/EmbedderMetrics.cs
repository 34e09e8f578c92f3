using System.Diagnostics.Metrics;
using StreamRag.Hosting;
using StreamRag.Redis;

namespace StreamRag.Embedder;

/// <summary>The embedder's instruments (names documented in docs/operations.md).</summary>
internal sealed class EmbedderMetrics
{
    private readonly Counter<long> events;
    private readonly Counter<long> chunks;
    private readonly Counter<long> passagesDropped;
    private readonly Histogram<double> embeddingDuration;
    private readonly Histogram<long> embeddingBatch;
    private readonly Histogram<double> freshness;

    public EmbedderMetrics(IMeterFactory meters, MemoryPressureGate gate)
    {
        var meter = meters.Create(StreamRagHosting.MeterName);
        events = meter.CreateCounter<long>("rag.embedder.events", "{event}", "Document events handled, by outcome");
        chunks = meter.CreateCounter<long>("rag.embedder.chunks_embedded", "{chunk}", "Chunks sent to the embedding provider");
        passagesDropped = meter.CreateCounter<long>("rag.embedder.passages_dropped", "{chunk}", "Chunks not stored: repeats, near-duplicates, nothing to search by");
        embeddingDuration = meter.CreateHistogram<double>("rag.embedder.embedding_duration", "ms", "Duration of one embedding call");
        embeddingBatch = meter.CreateHistogram<long>("rag.embedder.embedding_batch_size", "{text}", "Texts per embedding call");
        freshness = meter.CreateHistogram<double>("rag.embedder.freshness", "ms", "From an event's arrival in the stream to its document being searchable");
        meter.CreateObservableGauge("rag.embedder.paused", () => gate.IsPaused ? 1 : 0, "{bool}", "1 while intake is paused by back-pressure");
        meter.CreateObservableGauge("rag.redis.memory_ratio", () => gate.MemoryRatio, "1", "Redis used_memory / maxmemory as last measured");
    }

    /// <summary>Outcomes: indexed, unchanged (metadata only), stale, deleted, dead_lettered.</summary>
    public void Event(string outcome) => events.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Reasons: repeated (same text), near_duplicate (same vector), empty (no letter or digit), no_direction (zero vector).</summary>
    public void PassagesDropped(string reason, int count)
    {
        if (count > 0)
        {
            passagesDropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void EmbeddingCall(int texts, double milliseconds)
    {
        chunks.Add(texts);
        embeddingBatch.Record(texts);
        embeddingDuration.Record(milliseconds);
    }

    public void Searchable(double millisecondsSinceArrival) => freshness.Record(millisecondsSinceArrival);
}
