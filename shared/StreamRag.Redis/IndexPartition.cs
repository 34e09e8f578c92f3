using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// One index partition. The tenant is part of the key, so a query of one tenant physically cannot
/// read another's vectors, and a tenant filter costs nothing. Tenant names are validated by the
/// contract parsers (no braces), so they cannot break out of the hash tag.
/// </summary>
public readonly record struct IndexPartition(string Prefix, string Tenant, int Shard, int Generation = 0)
{
    // A re-sharded layout gets new names: '#' cannot occur in a tenant, so no two tags collide.
    private string HashTag => Generation == 0 ? $"{Tenant}.{Shard}" : $"{Tenant}.{Shard}#{Generation}";

    private string Tag => $"{Prefix}:{{{HashTag}}}";

    /// <summary>The pattern that matches every document hash of the partition (for SCAN).</summary>
    public RedisValue DocumentPattern => $"{Tag}:doc:*";

    /// <summary>
    /// The lowest layout number a write to this partition may be made under (absent: 0). A change of
    /// shard count raises it, so a host still writing under the old layout is refused and re-reads it.
    /// </summary>
    public RedisKey Fence => $"{Tag}:fence";

    /// <summary>The vector set: one element per chunk, named <c>docId#chunk</c>, with JSON attributes.</summary>
    public RedisKey VectorSet => $"{Tag}:vset";

    /// <summary>Hash per document: version, content hash, metadata, chunk texts (<c>c:N</c>).</summary>
    public RedisKey Document(string documentId) => $"{Tag}:doc:{documentId}";

    /// <summary>Sorted set of document ids scored by expiry time (Unix ms).</summary>
    public RedisKey ExpiryIndex => $"{Tag}:expiry";

    /// <summary>Counter bumped by every index change; caches key on it.</summary>
    public RedisKey Epoch => $"{Tag}:epoch";

    /// <summary>
    /// Hash of vector fingerprint to how many elements with exactly that vector the partition's
    /// vector set links (vector-set engine): an exact count for <c>Index:MaxDuplicatePassages</c>.
    /// </summary>
    public RedisKey LinkedCopies => $"{Tag}:copies";

    /// <summary>
    /// Hash of one chunk for the Query Engine engine (vector, text, metadata). It starts with
    /// <see cref="KeySchema.ChunkPrefix"/> so the FT index picks it up, and carries the partition's
    /// hash tag so one script writes it together with the document hash.
    /// </summary>
    public RedisKey Chunk(string documentId, int chunk) => $"{Prefix}:chunk:{{{HashTag}}}:{documentId}#{chunk}";

    /// <summary>
    /// Stream of deletion audit records the expiry script writes atomically with each expiry; the
    /// sweeper copies them to <see cref="KeySchema.DocumentDeletions"/> (another hash slot) and then removes them.
    /// </summary>
    public RedisKey DeletionOutbox => $"{Tag}:deleted";
}
