namespace StreamRag.Admin;

/// <summary>The index as the manifest and the engine describe it.</summary>
/// <param name="Engine">The recorded engine (<c>vectorset</c>, <c>search</c>), null when no host has started under the prefix.</param>
/// <param name="Vectors">Passages stored (vector-set elements or Query Engine documents).</param>
/// <param name="Layout">Shards per tenant and any change of shard count in progress (docs/keys.md#changing-the-shard-count).</param>
public sealed record IndexSummary(string? Engine, string? Model, int Tenants, long Vectors, long MemoryBytes, string Layout = "");
