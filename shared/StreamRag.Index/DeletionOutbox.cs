using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// Reads and clears the per-partition deletion outboxes that the engines' expiry scripts write
/// atomically with each expiry (the same stream layout for every engine).
/// </summary>
public static class DeletionOutbox
{
    public static async Task<IReadOnlyList<ExpiredDocument>> PendingAsync(IDatabase db, IEnumerable<IndexPartition> partitions, string tenant, int limit)
    {
        ArgumentNullException.ThrowIfNull(db);
        var outboxes = partitions.Select(p => p.DeletionOutbox).ToArray();
        var reads = await Task.WhenAll(outboxes.Select(o => db.StreamRangeAsync(o, "-", "+", limit)));
        return reads.SelectMany((entries, i) => entries.Select(e => new ExpiredDocument(
            tenant,
            (string)e["id"]!,
            (long)e["version"],
            (string?)e["source"] ?? "",
            DateTimeOffset.FromUnixTimeMilliseconds((long)e["expires_at"]),
            DateTimeOffset.FromUnixTimeMilliseconds((long)e["deleted_at"]),
            (string)e.Id!,
            (string)outboxes[i]!))).ToArray();
    }

    public static async Task<long> AcknowledgeAsync(IDatabase db, IReadOnlyList<ExpiredDocument> records)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return 0;
        }

        var deletes = records.GroupBy(r => (RedisKey)r.Outbox)
            .Select(g => db.StreamDeleteAsync(g.Key, g.Select(r => (RedisValue)r.RecordId).ToArray()));
        return (await Task.WhenAll(deletes)).Sum();
    }
}
