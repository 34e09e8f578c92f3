using System.Diagnostics.Metrics;

namespace StreamRag.Index.Search;

/// <summary>
/// FT.INFO figures of the Query Engine index as gauges on the fleet's meter, so the monitor's
/// Prometheus endpoint exports them without knowing which engine runs. A gauge reads the last
/// snapshot and, when it is older than <see cref="MaxAge"/>, asks for a fresh one in the background
/// (the next scrape sees it), so no scrape waits on Redis.
/// </summary>
internal static class SearchIndexMetrics
{
    /// <summary>The meter every StreamRag host exports (the same name as StreamRagHosting.MeterName).</summary>
    public const string MeterName = "StreamRag";

    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);

    public static void Register(Meter meter, Func<SearchIndexStatus?> snapshot)
    {
        ArgumentNullException.ThrowIfNull(meter);
        meter.CreateObservableGauge("streamrag.search.index.documents", () => Read(snapshot, s => s.Documents), "{chunk}",
            "Chunks (documents of the FT index) indexed");
        meter.CreateObservableGauge("streamrag.search.index.memory", () => Read(snapshot, s => s.TotalMemoryBytes), "By",
            "Memory of the whole FT index as FT.INFO reports it");
        meter.CreateObservableGauge("streamrag.search.index.vector_memory", () => Read(snapshot, s => s.VectorMemoryBytes), "By",
            "Memory of the vector index as FT.INFO reports it");
        meter.CreateObservableGauge("streamrag.search.index.indexing_failures", () => Read(snapshot, s => s.IndexingFailures), "{chunk}",
            "Chunk hashes the FT index could not index (e.g. a vector of the wrong size)");
        meter.CreateObservableGauge("streamrag.search.index.percent_indexed", () => Read(snapshot, s => s.PercentIndexed), "1",
            "Progress of the background scan after FT.CREATE (1 when done)");
        meter.CreateObservableGauge("streamrag.search.index.indexing", () => Read(snapshot, s => s.Indexing ? 1 : 0), "1",
            "1 while the FT index is scanning existing keys in the background");
    }

    private static IEnumerable<Measurement<double>> Read(Func<SearchIndexStatus?> snapshot, Func<SearchIndexStatus, double> value) =>
        snapshot() is { } status ? [new Measurement<double>(value(status))] : [];
}
