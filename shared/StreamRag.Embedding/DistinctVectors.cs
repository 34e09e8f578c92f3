
namespace StreamRag.Embedding;

/// <summary>Positions of the vectors to keep, and how many were dropped as near-duplicates or as having no direction.</summary>
public sealed record DistinctVectors(IReadOnlyList<int> Kept, int NearDuplicates, int Degenerate);
