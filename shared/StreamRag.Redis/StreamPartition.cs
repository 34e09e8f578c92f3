using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>One partition of an input stream: its number, the stream, and its dead-letter stream (same hash tag).</summary>
public sealed record StreamPartition(int Number, RedisKey Stream, RedisKey DeadLetters);
