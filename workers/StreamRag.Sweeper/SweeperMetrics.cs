using System.Diagnostics.Metrics;
using StreamRag.Telemetry;

namespace StreamRag.Sweeper;

/// <summary>The sweeper's instruments (names as Prometheus shows them are listed in docs/operations.md).</summary>
internal sealed class SweeperMetrics
{
    private double lagSeconds;
    private double lastPassUnixSeconds;

    public SweeperMetrics(IMeterFactory meters, TimeProvider time)
    {
        var meter = meters.Create(StreamRagTelemetry.MeterName);
        Expired = meter.Counter<long>(Instruments.SweeperHost.Expired);
        Skipped = meter.Counter<long>(Instruments.SweeperHost.Skipped);
        Published = meter.Counter<long>(Instruments.SweeperHost.DeletionsPublished);
        Recovered = meter.Counter<long>(Instruments.SweeperHost.DeletionsRecovered);
        Passes = meter.Counter<long>(Instruments.SweeperHost.Passes);
        Failures = meter.Counter<long>(Instruments.SweeperHost.Failures);
        meter.Gauge(Instruments.SweeperHost.Lag, () => Volatile.Read(ref lagSeconds));
        meter.Gauge(Instruments.SweeperHost.LastPassTimestamp, () => Volatile.Read(ref lastPassUnixSeconds));
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
