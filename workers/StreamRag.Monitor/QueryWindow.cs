namespace StreamRag.Monitor;

/// <summary>
/// Rolling window of query observations, ordered by when the query was answered (the stream entry's
/// time), so a monitor that catches up on a backlog after a restart files old queries where they belong.
/// Thread-safe: the ingest handler adds while the evaluation loop reads.
/// </summary>
internal sealed class QueryWindow(TimeSpan length, int capacity)
{
    private readonly Lock gate = new();
    private readonly LinkedList<QueryObservation> items = new();

    public TimeSpan Length => length;

    public void Add(QueryObservation observation, DateTimeOffset now)
    {
        // A clock ahead of the monitor's would file the query in the future: clamp it to now.
        if (observation.At > now)
        {
            observation = observation with { At = now };
        }

        if (observation.At < now - length)
        {
            return;
        }

        lock (gate)
        {
            // Entries nearly always arrive in order: walk back from the end to place a late one.
            var node = items.Last;
            while (node is not null && node.Value.At > observation.At)
            {
                node = node.Previous;
            }

            if (node is null)
            {
                items.AddFirst(observation);
            }
            else
            {
                items.AddAfter(node, observation);
            }

            while (items.Count > capacity)
            {
                items.RemoveFirst();
            }
        }
    }

    /// <summary>Observations still in the window at <paramref name="now"/>, oldest first.</summary>
    public QueryObservation[] Current(DateTimeOffset now)
    {
        lock (gate)
        {
            var from = now - length;
            while (items.First is { } first && first.Value.At < from)
            {
                items.RemoveFirst();
            }

            return items.ToArray();
        }
    }

    public WindowSnapshot Snapshot(DateTimeOffset now)
    {
        var current = Current(now);
        if (current.Length == 0)
        {
            return WindowSnapshot.Empty(length);
        }

        // Cache hits skip the embedding and the search, so those timings count answered misses only.
        var searched = current.Where(o => o.Ok && !o.CacheHit).ToArray();
        return new WindowSnapshot(
            length,
            current.Length,
            current.Count(o => !o.Ok),
            current.Length / length.TotalSeconds,
            Distribution.Of(current.Select(o => o.TotalMs).ToArray()),
            Distribution.Of(searched.Select(o => o.SearchMs).ToArray()),
            Distribution.Of(searched.Select(o => o.EmbedMs).ToArray()),
            Distribution.Of(current.Where(o => o.QueueMs is not null).Select(o => o.QueueMs!.Value).ToArray()),
            current.Count(o => o.CacheHit) / (double)current.Length);
    }
}
