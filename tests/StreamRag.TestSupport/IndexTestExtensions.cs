using StreamRag.Index;

namespace StreamRag.TestSupport;

public static class IndexTestExtensions
{
    /// <summary>Expires one document as the sweeper would (with a deletion record); true when this call deleted it.</summary>
    public static async Task<bool> ExpireAsync(this IVectorIndex index, string tenant, string documentId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        return (await index.ExpireBatchAsync(tenant, [new ExpiringDocument(documentId, expiresAt)], DateTimeOffset.UtcNow, cancellationToken)).Count == 1;
    }
}
