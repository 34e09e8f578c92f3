using StackExchange.Redis;

namespace StreamRag.Index;

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
