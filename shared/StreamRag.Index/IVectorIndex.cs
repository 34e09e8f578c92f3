
namespace StreamRag.Index;

/// <summary>
/// What the index engines differ in: how passages are stored, searched, expired and counted. The
/// Redis 8 vector-set engine (<see cref="VectorSetIndex"/>) and the Query Engine (FT.*) engine
/// implement it; <see cref="SelectedVectorIndex"/> is the one the fleet sees. Every write is atomic
/// per document: a search never sees a half-written document. What the engines keep alike (document
/// state, epochs, tenants, expiry indexes, deletion outboxes) is read through
/// <see cref="IPartitionMetadata"/>, a service of its own.
/// </summary>
public interface IVectorIndex
{
    /// <summary>Vector dimension the index accepts.</summary>
    int Dimensions { get; }

    /// <summary>Where the engine's partitions are: the layout its searches read and the layouts its writes go to.</summary>
    Task<IndexLayoutState> GetLayoutAsync(CancellationToken cancellationToken);

    /// <summary>Replaces a document and all its chunks, unless a same or newer version is indexed.</summary>
    Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken);

    /// <summary>Removes a document, leaving a tombstone so an older upsert arriving late is ignored.</summary>
    Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken);

    /// <summary>The K nearest chunks that satisfy the filters, best first, within one tenant.</summary>
    Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Expires picked documents of one tenant: each is deleted atomically (search, metadata, expiry
    /// entry) only if it still expires at the picked instant, together with a deletion record in
    /// the engine's outbox. Returns the documents this call deleted; the rest were changed or taken
    /// by another sweeper. Cost grows with the number of documents given, not the number stored.
    /// </summary>
    Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken);

    /// <summary>Size and memory of the index, for the monitor.</summary>
    Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken);
}
