using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// The consumer's housekeeping around the work itself: the group's existence, the lag and pending
/// gauges, trimming what every group has finished, keeping in-flight entries alive, and releasing
/// unfinished entries on shutdown. None of it decides what becomes of an entry.
/// </summary>
internal sealed class GroupMaintenance(IDatabase db, StreamConsumerSpec spec, ConsumerGroupOptions options, TimeProvider time, ConsumerMetrics metrics, ILogger logger)
{
    /// <summary>Creates the group idempotently, from the start of the stream, retrying through Redis outages.</summary>
    public async Task EnsureGroupAsync(CancellationToken cancellationToken)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                // From 0-0, so events written before the first worker started are not skipped.
                await db.StreamCreateConsumerGroupAsync(spec.Stream, spec.Group, "0-0", createStream: true);
                return;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
            {
                // Already there: idempotent by design.
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                ConsumerLog.TransientFailure(logger, ex, "create consumer group", failures);
                await Task.Delay(Backoff.After(failures, options.MaxBackoff), time, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Every ClaimInterval: records lag and pending for the gauges and trims what every group has
    /// finished. It runs beside the read loop, not in it, so a worker whose in-flight slots are all
    /// taken (the read loop waits for one) still trims on time and its stream stays bounded.
    /// </summary>
    public async Task MaintainAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await PassAsync();
            await Task.Delay(options.ClaimInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>One maintenance pass; Redis failures are logged and left to the next pass.</summary>
    public async Task PassAsync()
    {
        try
        {
            var groups = await db.StreamGroupInfoAsync(spec.Stream);
            var group = groups.FirstOrDefault(g => g.Name == spec.Group);
            metrics.GroupState(spec, group.Lag ?? 0, group.PendingMessageCount);
            if (options.TrimAcknowledged && groups.Length > 0)
            {
                await TrimAcknowledgedAsync(groups);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis away or the stream gone: the read loop reports and recovers; try again next time.
            ConsumerLog.UpkeepFailed(logger, ex, spec.Stream.ToString());
        }
    }

    /// <summary>
    /// Removes the entries every group is done with: below each group's oldest pending entry, or
    /// below its last delivered entry when nothing is pending.
    /// </summary>
    private async Task TrimAcknowledgedAsync(StreamGroupInfo[] groups)
    {
        StreamId? safe = null;
        foreach (var g in groups)
        {
            StreamId bound;
            if (g.PendingMessageCount > 0)
            {
                var pending = await db.StreamPendingAsync(spec.Stream, g.Name);
                bound = StreamId.Parse((string?)pending.LowestPendingMessageId);
            }
            else
            {
                bound = StreamId.Parse((string?)g.LastDeliveredId).Next();
            }

            safe = safe is null || bound < safe.Value ? bound : safe;
        }

        if (safe is { IsZero: false } minId)
        {
            var removed = (long)await db.ExecuteAsync("XTRIM", spec.Stream, "MINID", "~", minId.ToString());
            ConsumerLog.Trimmed(logger, spec.Stream.ToString(), minId.ToString(), removed);
        }
    }

    /// <summary>
    /// Until cancelled, every ClaimIdle / 3: re-claims the entries still held (XCLAIM … JUSTID), which
    /// resets their idle time without counting a delivery, so slow work is not taken for a dead
    /// consumer's. It hides nothing from attempt counting: the runner counts attempts itself.
    /// </summary>
    public async Task KeepAliveAsync(Func<RedisValue[]> held, CancellationToken cancellationToken)
    {
        var period = options.ClaimIdle / 3;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(period, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var ids = held();
            if (cancellationToken.IsCancellationRequested || ids.Length == 0)
            {
                continue;
            }

            try
            {
                await db.StreamClaimIdsOnlyAsync(spec.Stream, spec.Group, spec.Consumer, 0, ids);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                ConsumerLog.KeepAliveFailed(logger, ex, spec.Stream.ToString());
            }
        }
    }

    /// <summary>Marks unfinished entries idle for ClaimIdle already, so a live consumer reclaims them on its next pass.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<string> ids)
    {
        if (ids.Count == 0)
        {
            return;
        }

        try
        {
            var args = new List<object> { spec.Stream, spec.Group, spec.Consumer, 0 };
            args.AddRange(ids);
            args.AddRange(["IDLE", (long)options.ClaimIdle.TotalMilliseconds, "JUSTID"]);
            await db.ExecuteAsync("XCLAIM", args.ToArray());
            ConsumerLog.Released(logger, ids.Count, spec.Stream.ToString());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            ConsumerLog.KeepAliveFailed(logger, ex, spec.Stream.ToString());
        }
    }
}
