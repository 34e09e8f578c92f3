using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// This host's view of the layout: read from the manifest at most every <see cref="RefreshInterval"/>,
/// and at once after a fenced partition refused a write (<see cref="Invalidate"/>).
/// </summary>
public sealed class IndexLayoutSource(RedisConnections connections, KeySchema keys, TimeProvider time)
{
    /// <summary>How stale a host's view may be; the change of shard count waits a multiple of it between steps.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    // One immutable reference, read and replaced whole: threads share this field without a lock, and a
    // (state, timestamp) struct held in it directly could be seen half-written.
    private Snapshot? cached;

    public async Task<IndexLayoutState> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref cached) is { } c && time.GetElapsedTime(c.ReadAt) < RefreshInterval)
        {
            return c.State;
        }

        // Callers racing here each read the manifest once: one small HMGET, no lock needed.
        cancellationToken.ThrowIfCancellationRequested();
        var readAt = time.GetTimestamp();
        var state = await IndexLayoutStore.ReadAsync((await connections.GetSharedAsync()).GetDatabase(), keys);
        Volatile.Write(ref cached, new Snapshot(state, readAt));
        return state;
    }

    /// <summary>Forgets the cached view: the next <see cref="GetAsync"/> reads the manifest.</summary>
    public void Invalidate() => Volatile.Write(ref cached, null);

    private sealed record Snapshot(IndexLayoutState State, long ReadAt);
}
