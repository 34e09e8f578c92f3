
namespace StreamRag.Index;

/// <summary>The indexed state of a document.</summary>
public sealed record DocumentState(long Version, string? ContentHash, int Chunks, bool Deleted);
