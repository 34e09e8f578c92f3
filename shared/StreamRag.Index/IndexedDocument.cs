
namespace StreamRag.Index;

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
