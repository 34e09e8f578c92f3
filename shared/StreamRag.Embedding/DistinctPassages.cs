
namespace StreamRag.Embedding;

/// <summary>The passages to embed, and how many chunks were dropped as repeats or as having nothing to search by.</summary>
public sealed record DistinctPassages(IReadOnlyList<TextChunk> Kept, int Repeated, int Empty);
