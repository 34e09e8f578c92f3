using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// When a consumer of a group counts as live: Redis saw it within a span of time. A worker's blocking
/// read refreshes its idle time every <c>Consumer:BlockTimeout</c> (2 s by default), so a consumer idle
/// far longer than that has stopped. The monitor's alerts, <c>streamrag status</c> and the CLI's wait
/// for a running fleet all use this rule.
/// </summary>
public static class ConsumerLiveness
{
    /// <summary>A consumer not seen for this long counts as gone (the monitor's <c>Alerts:ConsumerDeadAfter</c> default).</summary>
    public static TimeSpan DefaultSeenWithin { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The consumers Redis saw within <paramref name="seenWithin"/>.</summary>
    public static int CountLive(IEnumerable<StreamConsumerInfo> consumers, TimeSpan seenWithin) =>
        consumers.Count(c => c.IdleTimeInMilliseconds <= seenWithin.TotalMilliseconds);
}
