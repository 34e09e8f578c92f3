
namespace StreamRag.Index;

/// <summary>A change of shard count cannot start or go on; the message says why and what to do.</summary>
public sealed class ShardCountChangeException(string message) : Exception(message);
