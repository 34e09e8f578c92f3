using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

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
        var meter = meters.Create(ConsumerGroupRunner.MeterName);
        settled = meter.CreateCounter<long>("rag.stream.entries", "{entry}", "Stream entries settled by this consumer, by outcome (acked, dead_lettered, retried)");
        reclaimed = meter.CreateCounter<long>("rag.stream.reclaimed", "{entry}", "Entries reclaimed from dead consumers");
        meter.CreateObservableGauge("rag.stream.lag", () => Observe(s => s.Lag), "{entry}", "Entries in the stream not yet delivered to the group");
        meter.CreateObservableGauge("rag.stream.pending", () => Observe(s => s.Pending), "{entry}", "Entries delivered to the group but not yet acknowledged");
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
