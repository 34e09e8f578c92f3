using StreamRag.Contracts;

namespace StreamRag.Index;

/// <summary>A nearest-neighbour query.</summary>
/// <param name="Ef">Search effort (HNSW exploration factor); the index default when null.</param>
/// <param name="Exact">Scan every vector instead of walking the graph: slow, for measuring recall.</param>
/// <param name="Text">The question as text, for engines that fuse a full-text search with the vector search (hybrid); others ignore it.</param>
public sealed record VectorQuery(string Tenant, ReadOnlyMemory<float> Vector, int K, QueryFilters Filters, int? Ef, bool Exact = false, string? Text = null);
