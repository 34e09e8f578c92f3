using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// Reads of the per-partition metadata every engine keeps in the same keys (epoch, tenant set,
/// expiry index), so both engines answer them the same way.
/// </summary>
public static class PartitionReads
{
    /// <summary>What the document hash in <paramref name="partition"/> says is indexed for a document, or null if it was never seen there (on a database or a batch).</summary>
    public static async Task<DocumentState?> DocumentStateAsync(IDatabaseAsync db, IndexPartition partition, string documentId)
    {
        ArgumentNullException.ThrowIfNull(db);
        var values = await db.HashGetAsync(partition.Document(documentId), [DocumentFields.Version, DocumentFields.ContentHash, DocumentFields.Chunks, DocumentFields.Deleted]);
        if (values[0].IsNull)
        {
            return null;
        }

        return new DocumentState((long)values[0], (string?)values[1], (int?)values[2] ?? 0, values[3] == "1");
    }

    public static Task<long> EpochAsync(IDatabase db, KeySchema keys, string tenant)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return EpochAsync(db, keys.PartitionsOf(tenant));
    }

    public static async Task<long> EpochAsync(IDatabase db, IEnumerable<IndexPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(db);
        var epochs = await Task.WhenAll(partitions.Select(p => db.StringGetAsync(p.Epoch)));
        return epochs.Sum(e => (long?)e ?? 0);
    }

    public static async Task<IReadOnlyList<string>> TenantsAsync(IDatabase db, KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        return (await db.SetMembersAsync(keys.Tenants)).Select(t => (string)t!).Order(StringComparer.Ordinal).ToArray();
    }

    public static async Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(IDatabase db, IEnumerable<IndexPartition> partitions, DateTimeOffset now, int limit)
    {
        ArgumentNullException.ThrowIfNull(db);
        var due = await Task.WhenAll(partitions.Select(p =>
            db.SortedSetRangeByScoreWithScoresAsync(p.ExpiryIndex, double.NegativeInfinity, now.ToUnixTimeMilliseconds(), take: limit)));
        return due.SelectMany(x => x)
            .OrderBy(e => e.Score)
            .Take(limit)
            .Select(e => new ExpiringDocument((string)e.Element!, DateTimeOffset.FromUnixTimeMilliseconds((long)e.Score)))
            .ToArray();
    }
}
