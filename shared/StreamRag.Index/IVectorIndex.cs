using StackExchange.Redis;
using StreamRag.Contracts;

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

/// <summary>
/// Reads of the per-partition metadata (document hashes, epochs, tenant set, expiry indexes, deletion
/// outboxes), which every engine writes with the same fields through the shared metadata.lua; one
/// implementation, <see cref="PartitionMetadataStore"/>, used directly.
/// </summary>
public interface IPartitionMetadata
{
    /// <summary>What is indexed for a document, or null if it was never seen.</summary>
    Task<DocumentState?> GetStateAsync(string tenant, string documentId, CancellationToken cancellationToken);

    /// <summary>A counter that changes whenever the tenant's index changes; caches key on it.</summary>
    Task<long> GetEpochAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Every tenant that has ever had a document indexed.</summary>
    Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> documents of a tenant whose expiry is at or before <paramref name="now"/>, earliest first.</summary>
    Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Deletion records of a tenant still in the outbox (not yet acknowledged), oldest first, up to <paramref name="limit"/> per partition.</summary>
    Task<IReadOnlyList<ExpiredDocument>> PendingDeletionRecordsAsync(string tenant, int limit, CancellationToken cancellationToken);

    /// <summary>Removes deletion records from the outbox once they are published; returns how many were still there.</summary>
    Task<long> AcknowledgeDeletionRecordsAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken);

    /// <summary>
    /// One key in every partition that holds these documents (in each layout written to) and the
    /// tenant set: what a write of them touched, so a caller can wait for those keys' masters to
    /// replicate it (WAIT) without knowing how keys are named.
    /// </summary>
    Task<IReadOnlyList<RedisKey>> WrittenKeysAsync(IEnumerable<(string Tenant, string DocumentId)> documents, CancellationToken cancellationToken);
}

/// <summary>A document due for deletion by the retention sweeper.</summary>
public sealed record ExpiringDocument(string Id, DateTimeOffset ExpiresAt);

/// <summary>A document the retention sweeper deleted, as its deletion record.</summary>
/// <param name="RecordId">The record's id in the engine's outbox, for acknowledging it.</param>
/// <param name="Outbox">The outbox stream that holds the record (the partition's, in the layout it was expired in).</param>
public sealed record ExpiredDocument(string Tenant, string Id, long Version, string Source, DateTimeOffset ExpiresAt, DateTimeOffset DeletedAt, string RecordId, string Outbox);

/// <summary>Index statistics across all tenants.</summary>
/// <param name="Tenants">Tenants with an index.</param>
/// <param name="Vectors">Chunks (vectors) stored.</param>
/// <param name="MemoryBytes">Memory the vectors take, as the engine reports it.</param>
public sealed record IndexStats(int Tenants, long Vectors, long MemoryBytes);

/// <summary>The indexed state of a document.</summary>
public sealed record DocumentState(long Version, string? ContentHash, int Chunks, bool Deleted);

/// <summary>A document ready to index: metadata and embedded chunks (or none, to update metadata only).</summary>
/// <param name="Chunks">Embedded chunks; null means the content is unchanged (same <paramref name="ContentHash"/>) and only metadata is updated.</param>
public sealed record IndexedDocument(
    string Tenant,
    string Id,
    long Version,
    string ContentHash,
    string Source,
    DateTimeOffset Timestamp,
    IReadOnlyList<string> Tags,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<IndexedChunk>? Chunks)
{
    /// <summary>Refuses chunks whose vectors cannot fit an index of <paramref name="dimensions"/>, before anything is written.</summary>
    public void EnsureDimensions(int dimensions)
    {
        var wrong = Chunks?.FirstOrDefault(c => c.Vector.Length != dimensions);
        if (wrong is not null)
        {
            throw new DimensionMismatchException(dimensions, wrong.Vector.Length);
        }
    }
}

/// <summary>One passage with its embedding.</summary>
public sealed record IndexedChunk(int Index, string Text, ReadOnlyMemory<float> Vector);

public enum IndexWriteResult
{
    /// <summary>The change is in the index.</summary>
    Applied,

    /// <summary>The index already holds this or a newer version; nothing changed.</summary>
    Stale,

    /// <summary>A metadata-only update found different content indexed: embed and write the chunks.</summary>
    ContentChanged,
}

/// <summary>A nearest-neighbour query.</summary>
/// <param name="Ef">Search effort (HNSW exploration factor); the index default when null.</param>
/// <param name="Exact">Scan every vector instead of walking the graph: slow, for measuring recall.</param>
/// <param name="Text">The question as text, for engines that fuse a full-text search with the vector search (hybrid); others ignore it.</param>
public sealed record VectorQuery(string Tenant, ReadOnlyMemory<float> Vector, int K, QueryFilters Filters, int? Ef, bool Exact = false, string? Text = null);

/// <summary>One chunk found by a search.</summary>
public sealed record SearchHit(string DocumentId, int Chunk, double Score, string Content, string Source, DateTimeOffset Timestamp, IReadOnlyList<string> Tags);

/// <summary>A vector whose dimension differs from the index's: it can never be written.</summary>
public sealed class DimensionMismatchException(int expected, int actual)
    : Exception($"vector has {actual} dimensions but the index holds {expected}")
{
    public int Expected { get; } = expected;

    public int Actual { get; } = actual;
}
