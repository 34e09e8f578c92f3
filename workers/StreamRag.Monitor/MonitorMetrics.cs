using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using StreamRag.Telemetry;

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
        var meter = meters.Create(StreamRagTelemetry.MeterName);
        Ingested = meter.Counter<long>(Instruments.MonitorHost.Ingested);
        Malformed = meter.Counter<long>(Instruments.MonitorHost.Malformed);
        Evaluations = meter.Counter<long>(Instruments.MonitorHost.Evaluations);
        EvaluationFailures = meter.Counter<long>(Instruments.MonitorHost.EvaluationFailures);
        RecallChecks = meter.Counter<long>(Instruments.MonitorHost.RecallChecks);
        EfChanges = meter.Counter<long>(Instruments.MonitorHost.SearchEfChanges);
        AlertTransitions = meter.Counter<long>(Instruments.MonitorHost.AlertTransitions);

        meter.Gauge(Instruments.MonitorHost.WindowQueries, () => Gauge(s => s.Window.Queries));
        meter.Gauge(Instruments.MonitorHost.WindowErrors, () => Gauge(s => s.Window.Errors));
        meter.Gauge(Instruments.MonitorHost.QueryRate, () => Gauge(s => s.Window.QueriesPerSecond));
        meter.Gauge(Instruments.MonitorHost.QueryLatency, () => Stats(s => s.Window.Total));
        meter.Gauge(Instruments.MonitorHost.SearchLatency, () => Stats(s => s.Window.Search));
        meter.Gauge(Instruments.MonitorHost.EmbedLatency, () => Stats(s => s.Window.Embed));
        meter.Gauge(Instruments.MonitorHost.CacheHitRatio, () => Gauge(s => s.Window.CacheHitRate));

        meter.Gauge(Instruments.Redis.UsedMemory, () => Gauge(s => s.Redis.UsedMemory));
        meter.Gauge(Instruments.Redis.MaxMemory, () => Gauge(s => s.Redis.MaxMemory));
        meter.Gauge(Instruments.Redis.ConnectedClients, () => Gauge(s => s.Redis.ConnectedClients));
        meter.Gauge(Instruments.Redis.BlockedClients, () => Gauge(s => s.Redis.BlockedClients));
        meter.Gauge(Instruments.Redis.OpsRate, () => Gauge(s => s.Redis.OpsPerSecond));
        meter.Gauge(Instruments.Redis.EvictedKeys, () => Gauge(s => s.Redis.EvictedKeys));
        meter.Gauge(Instruments.Fleet.IndexVectors, () => Gauge(s => s.Redis.Index.Vectors));
        meter.Gauge(Instruments.Fleet.IndexMemory, () => Gauge(s => s.Redis.Index.MemoryBytes));
        meter.Gauge(Instruments.Fleet.IndexTenants, () => Gauge(s => s.Redis.Index.Tenants));
        meter.Gauge(Instruments.Fleet.Watches, () => Gauge(s => s.Redis.Watches));
        meter.Gauge(Instruments.Fleet.StreamLength, () => PerStream(s => s.Redis.StreamLengths));
        meter.ObservableCounter(Instruments.Fleet.DeadLettersAdded, () => PerStream(s => s.DeadLettersAdded));
        meter.Gauge(Instruments.Fleet.DeadLetterLength, () => PerStream(s => s.Redis.DeadLetterLengths));
        meter.Gauge(Instruments.Fleet.GroupLag, () => PerGroup(g => g.Lag ?? 0));
        meter.Gauge(Instruments.Fleet.GroupPending, () => PerGroup(g => g.Pending));
        meter.Gauge(Instruments.Fleet.GroupConsumers, () => PerGroup(g => g.Consumers));
        meter.Gauge(Instruments.Fleet.GroupLiveConsumers, () => PerGroup(g => g.LiveConsumers));
        meter.Gauge(Instruments.Fleet.GroupMaxPendingIdle, () => PerGroup(g => g.Idle?.MaxIdleMs ?? 0));
        meter.Gauge(Instruments.Fleet.GroupStuckEntries, () => PerGroup(g => g.Idle?.Stuck ?? 0));

        meter.Gauge(Instruments.Fleet.SearchEf, () => Gauge(s => s.Tuning?.Ef));
        meter.Gauge(Instruments.Fleet.SearchRecall, () => Gauge(s => s.Tuning?.Measurement.Recall));
        meter.Gauge(Instruments.Fleet.SearchP99, () => Gauge(s => s.Tuning?.Measurement.SearchP99Ms));
        meter.Gauge(Instruments.Fleet.SearchTuningStuck, () => Gauge(s => s.Tuning is { } t ? (t.Decision.Stuck ? 1 : 0) : null));
        var t = tuning.Value;
        meter.Gauge(Instruments.Fleet.SearchRecallFloor, () => t.RecallFloor);
        meter.Gauge(Instruments.Fleet.SearchEfMax, () => t.MaxEf);
        meter.Gauge(Instruments.Fleet.AlertFiring, Firing);
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
