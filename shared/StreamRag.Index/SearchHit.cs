
namespace StreamRag.Index;

/// <summary>One chunk found by a search.</summary>
public sealed record SearchHit(string DocumentId, int Chunk, double Score, string Content, string Source, DateTimeOffset Timestamp, IReadOnlyList<string> Tags);
