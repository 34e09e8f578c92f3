using Microsoft.Extensions.Options;

namespace StreamRag.Monitor;

/// <summary>Sampled queries waiting for a recall check: bounded, the oldest dropped first.</summary>
internal sealed class RecallSampleQueue(IOptions<TuningOptions> options)
{
    private readonly Lock gate = new();
    private readonly LinkedList<RecallSample> items = new();

    public void Add(RecallSample sample)
    {
        lock (gate)
        {
            items.AddLast(sample);
            while (items.Count > options.Value.SampleQueue)
            {
                items.RemoveFirst();
            }
        }
    }

    /// <summary>Takes every queued sample out; returns the newest <paramref name="max"/> that match.</summary>
    public RecallSample[] Drain(int max, Func<RecallSample, bool> useful)
    {
        lock (gate)
        {
            var taken = items.Where(useful).TakeLast(max).ToArray();
            items.Clear();
            return taken;
        }
    }
}
