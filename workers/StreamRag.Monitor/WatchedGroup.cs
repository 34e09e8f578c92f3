using StackExchange.Redis;

namespace StreamRag.Monitor;

/// <summary>A worker group the monitor watches.</summary>
internal sealed record WatchedGroup(RedisKey Stream, string Group, string Role, bool NeedsLiveConsumer);
