using System.Diagnostics.Metrics;
using StreamRag.Telemetry;

namespace StreamRag.Index.Search;

/// <summary>
/// FT.INFO figures of the Query Engine index as gauges on the fleet's meter, so the monitor's
/// Prometheus endpoint exports them without knowing which engine runs. A gauge reads the last
/// snapshot and, when it is older than <see cref="MaxAge"/>, asks for a fresh one in the background
/// (the next scrape sees it), so no scrape waits on Redis.
/// </summary>
internal static class SearchIndexMetrics
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);

    public static void Register(Meter meter, Func<SearchIndexStatus?> snapshot)
    {
        ArgumentNullException.ThrowIfNull(meter);
        meter.Gauge(Instruments.SearchIndex.Documents, () => Read(snapshot, s => s.Documents));
        meter.Gauge(Instruments.SearchIndex.Memory, () => Read(snapshot, s => s.TotalMemoryBytes));
        meter.Gauge(Instruments.SearchIndex.VectorMemory, () => Read(snapshot, s => s.VectorMemoryBytes));
        meter.Gauge(Instruments.SearchIndex.IndexingFailures, () => Read(snapshot, s => s.IndexingFailures));
        meter.Gauge(Instruments.SearchIndex.IndexedRatio, () => Read(snapshot, s => s.PercentIndexed));
        meter.Gauge(Instruments.SearchIndex.Indexing, () => Read(snapshot, s => s.Indexing ? 1 : 0));
    }

    private static IEnumerable<Measurement<double>> Read(Func<SearchIndexStatus?> snapshot, Func<SearchIndexStatus, double> value) =>
        snapshot() is { } status ? [new Measurement<double>(value(status))] : [];
}
