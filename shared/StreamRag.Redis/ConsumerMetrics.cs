using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using StreamRag.Telemetry;

namespace StreamRag.Redis;

/// <summary>The consumer runner's instruments (names documented in docs/operations.md).</summary>
internal sealed class ConsumerMetrics
{
    private readonly Counter<long> settled;
    private readonly Counter<long> reclaimed;
    private readonly ConcurrentDictionary<(string Stream, string Group), (long Lag, long Pending)> groupState = new();

    public ConsumerMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(StreamRagTelemetry.MeterName);
        settled = meter.Counter<long>(Instruments.Consumer.Entries);
        reclaimed = meter.Counter<long>(Instruments.Consumer.Reclaimed);
        meter.Gauge(Instruments.Consumer.Lag, () => Observe(s => s.Lag));
        meter.Gauge(Instruments.Consumer.Pending, () => Observe(s => s.Pending));
    }

    public void Settled(StreamConsumerSpec spec, string outcome, int count)
    {
        if (count > 0)
        {
            settled.Add(count, new KeyValuePair<string, object?>("stream", spec.Stream.ToString()), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Reclaimed(StreamConsumerSpec spec, int count) =>
        reclaimed.Add(count, new KeyValuePair<string, object?>("stream", spec.Stream.ToString()));

    public void GroupState(StreamConsumerSpec spec, long lag, long pending) =>
        groupState[(spec.Stream.ToString(), spec.Group)] = (lag, pending);

    private IEnumerable<Measurement<long>> Observe(Func<(long Lag, long Pending), long> pick) =>
        groupState.Select(kv => new Measurement<long>(pick(kv.Value), new("stream", kv.Key.Stream), new("group", kv.Key.Group)));
}
