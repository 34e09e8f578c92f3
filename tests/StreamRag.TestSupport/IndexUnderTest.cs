using StackExchange.Redis;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.TestSupport;

/// <summary>
/// An engine and the partition metadata over its layout, in one object, so a test reads what it
/// wrote without wiring the two services a host gets separately.
/// </summary>
public sealed class IndexUnderTest(IVectorIndex engine, RedisConnections connections, KeySchema keys) : IVectorIndex, IPartitionMetadata, IDisposable
{
    private readonly PartitionMetadataStore metadata = new(connections, keys, engine);

    public IVectorIndex Engine => engine;

    public int Dimensions => engine.Dimensions;

    public Task<IndexLayoutState> GetLayoutAsync(CancellationToken cancellationToken) => engine.GetLayoutAsync(cancellationToken);

    public Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken) => engine.UpsertAsync(document, cancellationToken);

    public Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken) =>
        engine.DeleteAsync(tenant, documentId, version, cancellationToken);

    public Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken) => engine.SearchAsync(query, cancellationToken);

    public Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken) =>
        engine.ExpireBatchAsync(tenant, due, deletedAt, cancellationToken);

    public Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken) => engine.GetStatsAsync(cancellationToken);

    public Task<DocumentState?> GetStateAsync(string tenant, string documentId, CancellationToken cancellationToken) => metadata.GetStateAsync(tenant, documentId, cancellationToken);

    public Task<long> GetEpochAsync(string tenant, CancellationToken cancellationToken) => metadata.GetEpochAsync(tenant, cancellationToken);

    public Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken) => metadata.ListTenantsAsync(cancellationToken);

    public Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        metadata.DueForExpiryAsync(tenant, now, limit, cancellationToken);

    public Task<IReadOnlyList<ExpiredDocument>> PendingDeletionRecordsAsync(string tenant, int limit, CancellationToken cancellationToken) =>
        metadata.PendingDeletionRecordsAsync(tenant, limit, cancellationToken);

    public Task<long> AcknowledgeDeletionRecordsAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken) =>
        metadata.AcknowledgeDeletionRecordsAsync(records, cancellationToken);

    public void Dispose() => (engine as IDisposable)?.Dispose();

    public Task<IReadOnlyList<RedisKey>> WrittenKeysAsync(IEnumerable<(string Tenant, string DocumentId)> documents, CancellationToken cancellationToken) =>
        metadata.WrittenKeysAsync(documents, cancellationToken);
}
