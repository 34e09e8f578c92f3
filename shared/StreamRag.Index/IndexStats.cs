
namespace StreamRag.Index;

/// <summary>Index statistics across all tenants.</summary>
/// <param name="Tenants">Tenants with an index.</param>
/// <param name="Vectors">Chunks (vectors) stored.</param>
/// <param name="MemoryBytes">Memory the vectors take, as the engine reports it.</param>
public sealed record IndexStats(int Tenants, long Vectors, long MemoryBytes);
