using System.Diagnostics.Metrics;
using StreamRag.Redis;
using StreamRag.Telemetry;

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
    private readonly Counter<long> watchNotifications;
    private readonly Histogram<double> watchLatency;

    public EmbedderMetrics(IMeterFactory meters, MemoryPressureGate gate)
    {
        var meter = meters.Create(StreamRagTelemetry.MeterName);
        events = meter.Counter<long>(Instruments.EmbedderHost.Events);
        chunks = meter.Counter<long>(Instruments.EmbedderHost.ChunksEmbedded);
        passagesDropped = meter.Counter<long>(Instruments.EmbedderHost.PassagesDropped);
        embeddingDuration = meter.Histogram<double>(Instruments.EmbedderHost.EmbeddingDuration);
        embeddingBatch = meter.Histogram<long>(Instruments.EmbedderHost.EmbeddingBatchSize);
        freshness = meter.Histogram<double>(Instruments.EmbedderHost.Freshness);
        watchNotifications = meter.Counter<long>(Instruments.EmbedderHost.WatchNotifications);
        watchLatency = meter.Histogram<double>(Instruments.EmbedderHost.WatchNotificationLatency);
        meter.Gauge(Instruments.EmbedderHost.Paused, () => gate.IsPaused ? 1 : 0);
        meter.Gauge(Instruments.EmbedderHost.RedisMemoryRatio, () => gate.MemoryRatio);
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

    /// <param name="millisecondsSinceArrival">From the event's XADD to its notifications appended; null when its id does not say.</param>
    public void WatchNotifications(int appended, double? millisecondsSinceArrival)
    {
        watchNotifications.Add(appended);
        if (appended > 0 && millisecondsSinceArrival is { } ms)
        {
            watchLatency.Record(Math.Max(0, ms));
        }
    }
}
