using System.Globalization;
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
