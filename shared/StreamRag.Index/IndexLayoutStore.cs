using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

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
