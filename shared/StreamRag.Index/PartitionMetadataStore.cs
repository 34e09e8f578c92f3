using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The engine-independent store of partition metadata: one implementation of
/// <see cref="IPartitionMetadata"/> over the keys both engines write the same way (their write
/// scripts share metadata.lua, <see cref="PartitionScripts.Metadata"/>), on the partitions of the
/// layout the index is in.
/// </summary>
public sealed class PartitionMetadataStore(RedisConnections connections, KeySchema keys, Func<CancellationToken, Task<IndexLayoutState>> layout) : IPartitionMetadata
{
    /// <summary>The layout of an index that follows <c>Redis:Shards</c> and is never re-sharded (the Query Engine engine's).</summary>
    public static Func<CancellationToken, Task<IndexLayoutState>> ConfiguredLayout(KeySchema keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var state = Task.FromResult(new IndexLayoutState(0, new IndexLayout(0, keys.Shards), null, null));
        return _ => state;
    }

    public async Task<DocumentState?> GetStateAsync(string tenant, string documentId, CancellationToken cancellationToken)
    {
        var current = (await layout(cancellationToken)).Current;
        return await PartitionReads.DocumentStateAsync(await DatabaseAsync(), current.PartitionOf(keys, tenant, documentId), documentId);
    }

    public async Task<long> GetEpochAsync(string tenant, CancellationToken cancellationToken)
    {
        var state = await layout(cancellationToken);
        // The layout number is part of it: a switch of layout ends cached replies even if the new
        // partitions' counters happen to sum to the old ones'.
        return (state.Number << 40) + await PartitionReads.EpochAsync(await DatabaseAsync(), state.Current.PartitionsOf(keys, tenant));
    }

    public async Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken) =>
        await PartitionReads.TenantsAsync(await DatabaseAsync(), keys);

    public async Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var current = (await layout(cancellationToken)).Current;
        return await PartitionReads.DueForExpiryAsync(await DatabaseAsync(), current.PartitionsOf(keys, tenant), now, limit);
    }

    public async Task<IReadOnlyList<ExpiredDocument>> PendingDeletionRecordsAsync(string tenant, int limit, CancellationToken cancellationToken)
    {
        var state = await layout(cancellationToken);
        return await DeletionOutbox.PendingAsync(await DatabaseAsync(), state.OutboxLayouts.SelectMany(l => l.PartitionsOf(keys, tenant)), tenant, limit);
    }

    public async Task<long> AcknowledgeDeletionRecordsAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken) =>
        await DeletionOutbox.AcknowledgeAsync(await DatabaseAsync(), records);

    private async Task<IDatabase> DatabaseAsync() => (await connections.GetSharedAsync()).GetDatabase();
}

/// <summary>
/// An engine over <see cref="IChunkIndex"/>: the partition metadata comes from the one
/// <see cref="PartitionMetadataStore"/>, so no engine implements it again.
/// </summary>
public abstract class PartitionedVectorIndex(PartitionMetadataStore metadata) : IVectorIndex
{
    public abstract int Dimensions { get; }

    public abstract Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken);

    public abstract Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken);

    public abstract Task<bool> ExpireAsync(string tenant, string documentId, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken);

    public abstract Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken);

    public Task<DocumentState?> GetStateAsync(string tenant, string documentId, CancellationToken cancellationToken) =>
        metadata.GetStateAsync(tenant, documentId, cancellationToken);

    public Task<long> GetEpochAsync(string tenant, CancellationToken cancellationToken) => metadata.GetEpochAsync(tenant, cancellationToken);

    public Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken) => metadata.ListTenantsAsync(cancellationToken);

    public Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        metadata.DueForExpiryAsync(tenant, now, limit, cancellationToken);

    public Task<IReadOnlyList<ExpiredDocument>> PendingDeletionRecordsAsync(string tenant, int limit, CancellationToken cancellationToken) =>
        metadata.PendingDeletionRecordsAsync(tenant, limit, cancellationToken);

    public Task<long> AcknowledgeDeletionRecordsAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken) =>
        metadata.AcknowledgeDeletionRecordsAsync(records, cancellationToken);
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
