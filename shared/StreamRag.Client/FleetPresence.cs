using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Client;

/// <summary>A consumer group has no live consumer: nothing will process what is posted to its stream.</summary>
public sealed class FleetNotRunningException(string message) : Exception(message);

/// <summary>
/// Whether workers are serving a stream: its consumer group exists and Redis saw one of its consumers
/// recently (a worker's blocking read refreshes that every <c>Consumer:BlockTimeout</c>, 2 s by default).
/// </summary>
public static class FleetPresence
{
    /// <summary>A consumer not seen for this long counts as gone (<see cref="ConsumerLiveness.DefaultSeenWithin"/>).</summary>
    public static TimeSpan DefaultSeenWithin => ConsumerLiveness.DefaultSeenWithin;

    /// <summary>Consumers of the group Redis saw within <paramref name="seenWithin"/>; 0 when the stream or the group does not exist.</summary>
    public static async Task<int> LiveConsumersAsync(IDatabase db, RedisKey stream, string group, TimeSpan seenWithin)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!await db.KeyExistsAsync(stream) || !(await db.StreamGroupInfoAsync(stream)).Any(g => g.Name == group))
        {
            return 0;
        }

        var consumers = await db.StreamConsumerInfoAsync(stream, group);
        return ConsumerLiveness.CountLive(consumers, seenWithin);
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for a live consumer in the group (workers that are starting
    /// create it), polling; throws <see cref="FleetNotRunningException"/> naming <paramref name="role"/> if none appears.
    /// </summary>
    public static async Task WaitForLiveConsumerAsync(IDatabase db, RedisKey stream, string group, string role, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var until = time.GetUtcNow() + wait;
        while (await LiveConsumersAsync(db, stream, group, DefaultSeenWithin) == 0)
        {
            if (time.GetUtcNow() >= until)
            {
                throw new FleetNotRunningException(
                    $"no {role} is running: consumer group '{group}' on {stream} has no consumer seen in the last {DefaultSeenWithin.TotalSeconds:0} s (waited {wait.TotalSeconds:0.#} s); start the fleet (./run.sh) or check --redis and --prefix");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }
    }
}
