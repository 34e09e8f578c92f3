using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// One way of splitting every tenant's index into partitions: how many shards, and the generation
/// that names their keys (0 for an index never re-sharded, whose keys keep their first names).
/// </summary>
public sealed record IndexLayout(int Generation, int Shards)
{
    public IndexPartition PartitionOf(KeySchema keys, string tenant, string documentId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys.Partition(tenant, KeySchema.ShardOf(documentId, Shards), Generation);
    }

    public IEnumerable<IndexPartition> PartitionsOf(KeySchema keys, string tenant)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return Enumerable.Range(0, Shards).Select(s => keys.Partition(tenant, s, Generation));
    }

    /// <summary>As the manifest writes it: <c>generation:shards</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Generation}:{Shards}");

    public static IndexLayout? Parse(string? value)
    {
        var parts = value?.Split(':');
        return parts is [var g, var s]
            && int.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var shards)
            && shards is >= 1 and <= RedisOptions.MaxShards
            ? new IndexLayout(generation, shards)
            : null;
    }
}

/// <summary>
/// Where the index's partitions are (manifest fields <c>layout*</c>, docs/keys.md#changing-the-shard-count).
/// Steady: <see cref="Current"/> only. While the shard count changes, <see cref="Next"/> too: every
/// write goes to both, reads stay on <see cref="Current"/> until the next layout holds every
/// document. After the switch, <see cref="Retired"/> names the old layout until its keys are gone.
/// </summary>
/// <param name="Number">Raised by every change of state; writes carry it, and fenced partitions refuse older ones.</param>
public sealed record IndexLayoutState(long Number, IndexLayout Current, IndexLayout? Next, IndexLayout? Retired)
{
    /// <summary>The layouts every write goes to: the current one, and the next while the change runs.</summary>
    public IEnumerable<IndexLayout> WriteLayouts => Next is null ? [Current] : [Current, Next];

    /// <summary>The layouts whose deletion outboxes may still hold records.</summary>
    public IEnumerable<IndexLayout> OutboxLayouts => Retired is null ? WriteLayouts : [Current, Retired];

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"layout {Number}: {Current.Shards} shard(s) (generation {Current.Generation})")
        + (Next is null ? "" : string.Create(CultureInfo.InvariantCulture, $", changing to {Next.Shards} (generation {Next.Generation})"))
        + (Retired is null ? "" : string.Create(CultureInfo.InvariantCulture, $", generation {Retired.Generation} ({Retired.Shards} shard(s)) retired, its keys not yet removed"));
}

/// <summary>Field names of the layout in the manifest hash.</summary>
public static class IndexLayoutFields
{
    public const string Number = "layout_number";
    public const string Current = "layout";
    public const string Next = "layout_next";
    public const string Retired = "layout_retired";
}

/// <summary>Reads and changes the layout record. Changes are optimistic transactions on the manifest.</summary>
public static class IndexLayoutStore
{
    /// <summary>The recorded layout, or, for an index that records none, the configured shard count under generation 0.</summary>
    public static async Task<IndexLayoutState> ReadAsync(IDatabase db, KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        var values = await db.HashGetAsync(keys.IndexManifest, [IndexLayoutFields.Number, IndexLayoutFields.Current, IndexLayoutFields.Next, IndexLayoutFields.Retired]);
        return Parse(keys, values);
    }

    private static IndexLayoutState Parse(KeySchema keys, RedisValue[] values) =>
        new(
            long.TryParse((string?)values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : 0,
            IndexLayout.Parse(values[1]) ?? new IndexLayout(0, keys.Shards),
            IndexLayout.Parse(values[2]),
            IndexLayout.Parse(values[3]));

    /// <summary>Replaces the record with <paramref name="next"/> if it still is <paramref name="expected"/>; false when another change came first.</summary>
    public static async Task<bool> ReplaceAsync(IDatabase db, KeySchema keys, IndexLayoutState expected, IndexLayoutState next)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(next);
        var key = keys.IndexManifest;
        // A manifest written before layouts were recorded has no number yet (layout 0).
        var recorded = await db.HashExistsAsync(key, IndexLayoutFields.Number);
        var transaction = db.CreateTransaction();
        transaction.AddCondition(recorded
            ? Condition.HashEqual(key, IndexLayoutFields.Number, expected.Number)
            : Condition.HashNotExists(key, IndexLayoutFields.Number));
        _ = transaction.HashSetAsync(key, [
            new HashEntry(IndexLayoutFields.Number, next.Number),
            new HashEntry(IndexLayoutFields.Current, next.Current.ToString()),
        ]);
        _ = next.Next is null ? transaction.HashDeleteAsync(key, IndexLayoutFields.Next) : transaction.HashSetAsync(key, IndexLayoutFields.Next, next.Next.ToString());
        _ = next.Retired is null ? transaction.HashDeleteAsync(key, IndexLayoutFields.Retired) : transaction.HashSetAsync(key, IndexLayoutFields.Retired, next.Retired.ToString());
        return await transaction.ExecuteAsync();
    }
}

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

/// <summary>A fenced partition refused a write made under an older layout: the writer re-reads the layout and writes again.</summary>
public sealed class LayoutChangedException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>The error a fenced partition's script replies with (fence.lua).</summary>
    public const string ErrorPrefix = "LAYOUT";

    public static bool IsFenced(RedisServerException error) =>
        error is not null && error.Message.StartsWith(ErrorPrefix, StringComparison.Ordinal);
}
