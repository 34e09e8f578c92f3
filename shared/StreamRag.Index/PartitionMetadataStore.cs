using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The engine-independent store of partition metadata: the one implementation of
/// <see cref="IPartitionMetadata"/>, over the keys both engines write the same way (their write
/// scripts share metadata.lua, <see cref="PartitionScripts.Metadata"/>), on the partitions of the
/// layout the engine is in (<see cref="IVectorIndex.GetLayoutAsync"/>).
/// </summary>
public sealed class PartitionMetadataStore(RedisConnections connections, KeySchema keys, IVectorIndex index) : IPartitionMetadata
{
    /// <summary>The layout of an index that follows <c>Redis:Shards</c> and is never re-sharded (the Query Engine engine's).</summary>
    public static IndexLayoutState ConfiguredLayout(KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return new IndexLayoutState(0, new IndexLayout(0, keys.Shards), null, null);
    }

    public async Task<DocumentState?> GetStateAsync(string tenant, string documentId, CancellationToken cancellationToken)
    {
        var current = (await index.GetLayoutAsync(cancellationToken)).Current;
        return await PartitionReads.DocumentStateAsync(await DatabaseAsync(), current.PartitionOf(keys, tenant, documentId), documentId);
    }

    public async Task<long> GetEpochAsync(string tenant, CancellationToken cancellationToken)
    {
        var state = await index.GetLayoutAsync(cancellationToken);
        // The layout number is part of it: a switch of layout ends cached replies even if the new
        // partitions' counters happen to sum to the old ones'.
        return (state.Number << 40) + await PartitionReads.EpochAsync(await DatabaseAsync(), state.Current.PartitionsOf(keys, tenant));
    }

    public async Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken) =>
        await PartitionReads.TenantsAsync(await DatabaseAsync(), keys);

    public async Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var current = (await index.GetLayoutAsync(cancellationToken)).Current;
        return await PartitionReads.DueForExpiryAsync(await DatabaseAsync(), current.PartitionsOf(keys, tenant), now, limit);
    }

    public async Task<IReadOnlyList<ExpiredDocument>> PendingDeletionRecordsAsync(string tenant, int limit, CancellationToken cancellationToken)
    {
        var state = await index.GetLayoutAsync(cancellationToken);
        return await DeletionOutbox.PendingAsync(await DatabaseAsync(), state.OutboxLayouts.SelectMany(l => l.PartitionsOf(keys, tenant)), tenant, limit);
    }

    public async Task<long> AcknowledgeDeletionRecordsAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken) =>
        await DeletionOutbox.AcknowledgeAsync(await DatabaseAsync(), records);

    public async Task<IReadOnlyList<RedisKey>> WrittenKeysAsync(IEnumerable<(string Tenant, string DocumentId)> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var state = await index.GetLayoutAsync(cancellationToken);
        // Every key of a partition shares its hash slot, so its epoch stands for the partition.
        return documents.SelectMany(d => state.WriteLayouts.Select(l => l.PartitionOf(keys, d.Tenant, d.DocumentId).Epoch))
            .Append(keys.Tenants)
            .Distinct()
            .ToArray();
    }

    private async Task<IDatabase> DatabaseAsync() => (await connections.GetSharedAsync()).GetDatabase();
}

/// <summary>The engine-independent Lua every engine's write scripts start with.</summary>
public static class PartitionScripts
{
    /// <summary>metadata.lua: version checks, document metadata, tombstones, expiry index, epoch, deletion records.</summary>
    public static string Metadata { get; } = DocumentFields.Lua + Read("metadata.lua");

    /// <summary>
    /// The document fields every engine's upsert script takes first (ARGV 1–7, for metadata.lua's
    /// write_document): id, version, content hash, source, timestamp ms, tags (comma-joined), expires-at ms or ''.
    /// </summary>
    public static RedisValue[] DocumentArguments(IndexedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return
        [
            document.Id,
            document.Version,
            document.ContentHash,
            document.Source,
            document.Timestamp.ToUnixTimeMilliseconds(),
            string.Join(',', document.Tags),
            document.ExpiresAt is { } expires ? expires.ToUnixTimeMilliseconds() : "",
        ];
    }

    internal static string Read(string name) => LuaScripts.Read(typeof(PartitionScripts), name);
}
