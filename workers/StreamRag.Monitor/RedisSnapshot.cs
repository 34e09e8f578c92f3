using StreamRag.Index;

namespace StreamRag.Monitor;

/// <summary>What the monitor read from Redis in one evaluation.</summary>
internal sealed record RedisSnapshot(
    long UsedMemory,
    long MaxMemory,
    long ConnectedClients,
    long BlockedClients,
    double OpsPerSecond,
    long EvictedKeys,
    IndexStats Index,
    IReadOnlyDictionary<string, long> StreamLengths,
    IReadOnlyDictionary<string, long> DeadLetterLengths,
    IReadOnlyList<GroupState> Groups,
    long Watches = 0);
