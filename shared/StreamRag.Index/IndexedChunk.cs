
namespace StreamRag.Index;

/// <summary>One passage with its embedding.</summary>
public sealed record IndexedChunk(int Index, string Text, ReadOnlyMemory<float> Vector);
