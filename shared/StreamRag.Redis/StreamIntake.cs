using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// Entries taken in one go, with how often each was delivered before when Redis says so (reclaimed
/// entries): the settler counts earlier deliveries that never completed as attempts.
/// </summary>
internal sealed record IntakeBatch(StreamEntry[] Entries, IReadOnlyDictionary<string, long> Deliveries)
{
    public static IReadOnlyDictionary<string, long> FirstDelivery { get; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Deliveries of an entry so far, this one included (1 for a fresh read).</summary>
    public long DeliveriesOf(StreamEntry entry) => Deliveries.TryGetValue((string)entry.Id!, out var n) ? n : 1;
}

/// <summary>
/// Where a consumer's entries come from: every ClaimInterval, the entries dead consumers left idle
/// longer than ClaimIdle (XAUTOCLAIM); otherwise new entries, with XREADGROUP BLOCK on a dedicated
/// connection (the server pushes an entry the moment it is added, so the worker wakes without
/// polling, and the shared multiplexer is never blocked), topped up for BatchFillWait.
/// </summary>
/// <param name="inFlight">Whether this consumer is working on an entry now: XAUTOCLAIM also hands a
/// consumer back its own entries once their idle time passes ClaimIdle (a keep-alive that fell
/// behind), and those must not be handled a second time beside the work already on them.</param>
internal sealed class StreamIntake(IDatabase db, IDatabase readerDb, StreamConsumerSpec spec, ConsumerGroupOptions options, TimeProvider time, Func<string, bool> inFlight, ConsumerMetrics metrics, ILogger logger)
{
    private string claimCursor = "0-0";
    private long nextClaim = time.GetTimestamp();

    /// <summary>Up to <paramref name="count"/> entries; none when nothing arrived within the block timeout.</summary>
    public async Task<IntakeBatch> TakeAsync(int count, CancellationToken cancellationToken)
    {
        var untilClaim = time.GetElapsedTime(time.GetTimestamp(), nextClaim);
        if (untilClaim <= TimeSpan.Zero)
        {
            var claimed = await ClaimAbandonedAsync(count);
            if (claimCursor == "0-0" || claimed.Entries.Length == 0)
            {
                // A full pass is done: the next one after ClaimInterval. Otherwise go on at once.
                nextClaim = time.GetTimestamp() + (long)(options.ClaimInterval.TotalSeconds * time.TimestampFrequency);
            }

            if (claimed.Entries.Length > 0)
            {
                return claimed;
            }

            untilClaim = options.ClaimInterval;
        }

        var block = (int)Math.Clamp(Math.Min(options.BlockTimeout.TotalMilliseconds, untilClaim.TotalMilliseconds), 1, int.MaxValue);
        var entries = await BlockingStreamReader.ReadGroupAsync(readerDb, spec.Group, spec.Consumer, spec.Stream, count, block)
            .WaitAsync(cancellationToken);
        if (entries.Length > 0 && entries.Length < count && options.BatchFillWait > TimeSpan.Zero)
        {
            entries = await FillBatchAsync(entries, count, cancellationToken);
        }

        return new IntakeBatch(entries, IntakeBatch.FirstDelivery);
    }

    /// <summary>Tops a short batch up with entries that arrive within BatchFillWait.</summary>
    private async Task<StreamEntry[]> FillBatchAsync(StreamEntry[] first, int want, CancellationToken cancellationToken)
    {
        var batch = new List<StreamEntry>(first);
        var start = time.GetTimestamp();
        while (batch.Count < want)
        {
            var left = options.BatchFillWait - time.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            var more = await BlockingStreamReader.ReadGroupAsync(readerDb, spec.Group, spec.Consumer, spec.Stream, want - batch.Count, Math.Max(1, (int)left.TotalMilliseconds))
                .WaitAsync(cancellationToken);
            if (more.Length == 0)
            {
                break;
            }

            batch.AddRange(more);
        }

        return batch.ToArray();
    }

    /// <summary>XAUTOCLAIM from the cursor, then the delivery count of each claimed entry (XPENDING).</summary>
    private async Task<IntakeBatch> ClaimAbandonedAsync(int count)
    {
        var claimed = await db.StreamAutoClaimAsync(spec.Stream, spec.Group, spec.Consumer, (long)options.ClaimIdle.TotalMilliseconds, claimCursor, count);
        claimCursor = (string?)claimed.NextStartId ?? "0-0";
        var claimedEntries = claimed.ClaimedEntries.Where(e => !e.IsNull).ToArray();
        var entries = claimedEntries.Where(e => !inFlight((string)e.Id!)).ToArray();
        if (entries.Length < claimedEntries.Length)
        {
            ConsumerLog.InFlightReclaimed(logger, claimedEntries.Length - entries.Length, spec.Stream.ToString());
        }

        if (entries.Length == 0)
        {
            return new IntakeBatch([], IntakeBatch.FirstDelivery);
        }

        ConsumerLog.Reclaimed(logger, entries.Length, spec.Stream.ToString(), spec.Consumer);
        metrics.Reclaimed(spec, entries.Length);

        // XAUTOCLAIM counted this delivery too; an entry that keeps coming back is one its workers
        // crash or hang on, and the settler dead-letters it past MaxDeliveries.
        var pending = await db.StreamPendingMessagesAsync(spec.Stream, spec.Group, entries.Length * 2, spec.Consumer, entries[0].Id, entries[^1].Id);
        var deliveries = pending.ToDictionary(p => (string)p.MessageId!, p => (long)p.DeliveryCount, StringComparer.Ordinal);
        return new IntakeBatch(entries, deliveries);
    }
}
