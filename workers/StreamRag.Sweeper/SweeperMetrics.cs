using System.Diagnostics.Metrics;
using StreamRag.Hosting;

namespace StreamRag.Sweeper;

/// <summary>The sweeper's instruments (names as Prometheus shows them are listed in docs/operations.md).</summary>
internal sealed class SweeperMetrics
{
    private double lagSeconds;
    private double lastPassUnixSeconds;

    public SweeperMetrics(IMeterFactory meters, TimeProvider time)
    {
        var meter = meters.Create(StreamRagHosting.MeterName);
        Expired = meter.CreateCounter<long>("rag_sweeper_expired", description: "Documents deleted because they expired.");
        Skipped = meter.CreateCounter<long>("rag_sweeper_skipped", description: "Documents picked as due but not deleted: updated with a later expiry, or taken by another sweeper.");
        Published = meter.CreateCounter<long>("rag_sweeper_deletions_published", description: "Deletion records copied to the document-deletions audit stream.");
        Recovered = meter.CreateCounter<long>("rag_sweeper_deletions_recovered", description: "Deletion records published on behalf of a sweeper that stopped between deleting and publishing.");
        Passes = meter.CreateCounter<long>("rag_sweeper_passes", description: "Sweep passes completed.");
        Failures = meter.CreateCounter<long>("rag_sweeper_failures", description: "Sweep passes that failed (Redis unreachable); retried next interval.");
        meter.CreateObservableGauge("rag_sweeper_lag_seconds", () => Volatile.Read(ref lagSeconds),
            description: "How late the earliest document of the latest batch was deleted (0 when nothing was due).");
        meter.CreateObservableGauge("rag_sweeper_last_pass_timestamp_seconds", () => Volatile.Read(ref lastPassUnixSeconds),
            description: "Unix time the latest sweep pass completed.");
        Time = time;
    }

    private TimeProvider Time { get; }

    public Counter<long> Expired { get; }

    public Counter<long> Skipped { get; }

    public Counter<long> Published { get; }

    public Counter<long> Recovered { get; }

    public Counter<long> Passes { get; }

    public Counter<long> Failures { get; }

    public void SetLag(TimeSpan lag) => Volatile.Write(ref lagSeconds, Math.Max(0, lag.TotalSeconds));

    public void PassCompleted()
    {
        Passes.Add(1);
        Volatile.Write(ref lastPassUnixSeconds, Time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
    }
}
