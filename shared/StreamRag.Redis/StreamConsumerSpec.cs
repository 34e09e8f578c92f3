using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>Which stream a runner consumes, as which group and consumer.</summary>
/// <param name="Gate">Optional intake gate: while it is closed, no new entries are read (back-pressure).</param>
public sealed record StreamConsumerSpec(RedisKey Stream, RedisKey DeadLetters, string Group, string Consumer, IIntakeGate? Gate = null);
