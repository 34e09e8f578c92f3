using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>Which stream a runner consumes, as which group and consumer.</summary>
/// <param name="Gate">Optional intake gate: while it is closed, no new entries are read (back-pressure).</param>
public sealed record StreamConsumerSpec(RedisKey Stream, RedisKey DeadLetters, string Group, string Consumer, IIntakeGate? Gate = null);

/// <summary>Decides whether a consumer may take new work now (e.g. not while Redis memory is nearly full).</summary>
public interface IIntakeGate
{
    /// <summary>Completes when new entries may be read.</summary>
    ValueTask WaitOpenAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Runs one consumer of a Redis stream consumer group: the loop every stream-driven worker shares.
/// <list type="bullet">
/// <item>Creates the group idempotently (from the start of the stream, so events written before the
/// first worker started are not skipped).</item>
/// <item>Reads new entries with XREADGROUP BLOCK on a dedicated connection (see
/// <see cref="RedisConnections"/> and <see cref="BlockingStreamReader"/>): the server pushes an entry the moment it is added, so the worker
/// wakes within a millisecond without polling, and the shared multiplexer is never blocked.</item>
/// <item>Keeps its in-flight entries alive (XCLAIM JUSTID resets their idle time without counting a
/// delivery) and reclaims entries left idle by dead consumers (XAUTOCLAIM).</item>
/// <item>Every ClaimInterval, beside the read loop: records lag and pending for the gauges, and trims
/// the stream of the entries every consumer group has finished (XTRIM MINID), so it stays bounded.</item>
/// <item>Acknowledges only what the handler reports done; retries what it asks to retry, up to
/// MaxAttempts; moves entries that can never succeed, or that were delivered MaxDeliveries times
/// without completing, to the dead-letter stream, atomically with their acknowledgement.</item>
/// <item>On shutdown stops reading, lets in-flight work finish for DrainTimeout, then releases what
/// is left so another consumer can take it at once.</item>
/// </list>
/// </summary>
public sealed partial class ConsumerGroupRunner
{
    private readonly RedisConnections connections;
    private readonly ConsumerGroupOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<ConsumerGroupRunner> logger;
    private readonly Counter<long> settled;
    private readonly Counter<long> reclaimed;
    private readonly ConcurrentDictionary<(string Stream, string Group), (long Lag, long Pending)> groupState = new();

    public ConsumerGroupRunner(RedisConnections connections, ConsumerGroupOptions options, TimeProvider time, IMeterFactory meters, ILogger<ConsumerGroupRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        this.connections = connections;
        this.options = options;
        this.time = time;
        this.logger = logger;
        var meter = meters.Create(MeterName);
        settled = meter.CreateCounter<long>("rag.stream.entries", "{entry}", "Stream entries settled by this consumer, by outcome (acked, dead_lettered, retried)");
        reclaimed = meter.CreateCounter<long>("rag.stream.reclaimed", "{entry}", "Entries reclaimed from dead consumers");
        meter.CreateObservableGauge("rag.stream.lag", () => Observe(s => s.Lag), "{entry}", "Entries in the stream not yet delivered to the group");
        meter.CreateObservableGauge("rag.stream.pending", () => Observe(s => s.Pending), "{entry}", "Entries delivered to the group but not yet acknowledged");
    }

    /// <summary>The meter every StreamRag instrument lives on.</summary>
    public const string MeterName = "StreamRag";

    private IEnumerable<Measurement<long>> Observe(Func<(long Lag, long Pending), long> pick) =>
        groupState.Select(kv => new Measurement<long>(pick(kv.Value), new("stream", kv.Key.Stream), new("group", kv.Key.Group)));

    public const string DeadLetterReasonField = "dlq_reason";
    public const string DeadLetterIdField = "dlq_id";
    public const string DeadLetterDeliveriesField = "dlq_deliveries";
    public const string DeadLetterConsumerField = "dlq_consumer";
    public const string DeadLetterTimeField = "dlq_at";

    public async Task RunAsync(StreamConsumerSpec spec, IStreamEntryHandler handler, CancellationToken stoppingToken)
    {
        var mux = await connections.GetSharedAsync();
        var db = mux.GetDatabase();
        await RetryTransientAsync(() => EnsureGroupAsync(db, spec), "create consumer group", stoppingToken);

        await using var reader = await connections.ConnectDedicatedAsync($"{spec.Group}:{spec.Consumer}:reader", options.BlockTimeout);
        var readerDb = reader.GetDatabase();

        using var processing = new CancellationTokenSource();
        var slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        var inFlight = new ConcurrentDictionary<Task, byte>();
        var held = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var claimCursor = "0-0";
        var nextClaim = time.GetTimestamp();
        var failures = 0;

        Log.Started(logger, spec.Stream.ToString(), spec.Group, spec.Consumer);
        var upkeep = MaintainAsync(db, spec, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var taken = 0;
            try
            {
                if (spec.Gate is not null)
                {
                    await spec.Gate.WaitOpenAsync(stoppingToken);
                }

                await slots.WaitAsync(stoppingToken);
                taken = 1;
                while (taken < options.ReadCount && slots.Wait(0, CancellationToken.None))
                {
                    taken++;
                }

                StreamEntry[] entries = [];
                var untilClaim = time.GetElapsedTime(time.GetTimestamp(), nextClaim);
                if (untilClaim <= TimeSpan.Zero)
                {
                    (entries, claimCursor) = await ClaimAbandonedAsync(db, spec, taken, claimCursor);
                    if (claimCursor == "0-0" || entries.Length == 0)
                    {
                        nextClaim = time.GetTimestamp() + (long)(options.ClaimInterval.TotalSeconds * time.TimestampFrequency);
                    }

                    untilClaim = options.ClaimInterval;
                }

                if (entries.Length == 0)
                {
                    var block = (int)Math.Clamp(Math.Min(options.BlockTimeout.TotalMilliseconds, untilClaim.TotalMilliseconds), 1, int.MaxValue);
                    entries = await BlockingStreamReader.ReadGroupAsync(readerDb, spec.Group, spec.Consumer, spec.Stream, taken, block)
                        .WaitAsync(stoppingToken);
                    if (entries.Length > 0 && entries.Length < taken && options.BatchFillWait > TimeSpan.Zero)
                    {
                        entries = await FillBatchAsync(readerDb, spec, entries, taken, stoppingToken);
                    }
                }

                failures = 0;
                if (entries.Length < taken)
                {
                    slots.Release(taken - entries.Length);
                }

                taken = 0;
                if (entries.Length > 0)
                {
                    foreach (var entry in entries)
                    {
                        held[entry.Id!] = 0;
                    }

                    var task = ProcessAsync(db, spec, handler, entries, held, slots, processing.Token);
                    inFlight[task] = 0;
                    _ = task.ContinueWith(t => inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                ReleaseSlots(slots, taken);
                break;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                ReleaseSlots(slots, taken);
                Log.GroupMissing(logger, spec.Stream.ToString(), spec.Group);
                await RetryTransientAsync(() => EnsureGroupAsync(db, spec), "create consumer group", stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                ReleaseSlots(slots, taken);
                failures++;
                Log.ReadFailed(logger, ex, spec.Stream.ToString(), failures);
                await Task.Delay(Backoff(failures), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        await upkeep.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Log.Draining(logger, spec.Stream.ToString(), inFlight.Count);
        processing.CancelAfter(options.DrainTimeout);
        await Task.WhenAll(inFlight.Keys).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await ReleaseAsync(db, spec, held.Keys.ToArray());
        Log.Stopped(logger, spec.Stream.ToString(), spec.Consumer);
    }

    /// <summary>Tops a short batch up with entries that arrive within BatchFillWait.</summary>
    private async Task<StreamEntry[]> FillBatchAsync(IDatabase readerDb, StreamConsumerSpec spec, StreamEntry[] first, int want, CancellationToken stoppingToken)
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
                .WaitAsync(stoppingToken);
            if (more.Length == 0)
            {
                break;
            }

            batch.AddRange(more);
        }

        return batch.ToArray();
    }

    private static void ReleaseSlots(SemaphoreSlim slots, int taken)
    {
        if (taken > 0)
        {
            slots.Release(taken);
        }
    }

    /// <summary>
    /// Every ClaimInterval: records lag and pending for the gauges and trims what every group has
    /// finished. It runs beside the read loop, not in it, so a worker whose in-flight slots are all
    /// taken (the read loop waits for one) still trims on time and its stream stays bounded.
    /// </summary>
    private async Task MaintainAsync(IDatabase db, StreamConsumerSpec spec, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RecordGroupStateAsync(db, spec);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis away or the stream gone: the read loop reports and recovers; try again next time.
                Log.UpkeepFailed(logger, ex, spec.Stream.ToString());
            }

            await Task.Delay(options.ClaimInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RecordGroupStateAsync(IDatabase db, StreamConsumerSpec spec)
    {
        var groups = await db.StreamGroupInfoAsync(spec.Stream);
        var group = groups.FirstOrDefault(g => g.Name == spec.Group);
        groupState[(spec.Stream.ToString(), spec.Group)] = (group.Lag ?? 0, group.PendingMessageCount);
        if (options.TrimAcknowledged && groups.Length > 0)
        {
            await TrimAcknowledgedAsync(db, spec.Stream, groups);
        }
    }

    /// <summary>
    /// Removes the entries every group is done with: below each group's oldest pending entry, or
    /// below its last delivered entry when nothing is pending.
    /// </summary>
    private static async Task TrimAcknowledgedAsync(IDatabase db, RedisKey stream, StreamGroupInfo[] groups)
    {
        StreamId? safe = null;
        foreach (var g in groups)
        {
            var bound = StreamId.Parse((string?)g.LastDeliveredId);
            if (g.PendingMessageCount > 0)
            {
                var pending = await db.StreamPendingAsync(stream, g.Name);
                bound = StreamId.Parse((string?)pending.LowestPendingMessageId);
            }
            else
            {
                bound = bound.Next();
            }

            safe = safe is null || bound.CompareTo(safe.Value) < 0 ? bound : safe;
        }

        if (safe is { IsZero: false } minId)
        {
            await db.ExecuteAsync("XTRIM", stream, "MINID", "~", minId.ToString());
        }
    }

    private static async Task EnsureGroupAsync(IDatabase db, StreamConsumerSpec spec)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(spec.Stream, spec.Group, "0-0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Already there: idempotent by design.
        }
    }

    private async Task<(StreamEntry[] Entries, string Cursor)> ClaimAbandonedAsync(IDatabase db, StreamConsumerSpec spec, int count, string cursor)
    {
        var claimed = await db.StreamAutoClaimAsync(spec.Stream, spec.Group, spec.Consumer, (long)options.ClaimIdle.TotalMilliseconds, cursor, count);
        var entries = claimed.ClaimedEntries.Where(e => !e.IsNull).ToArray();
        var next = (string?)claimed.NextStartId ?? "0-0";
        if (entries.Length == 0)
        {
            return (entries, next);
        }

        Log.Reclaimed(logger, entries.Length, spec.Stream.ToString(), spec.Consumer);
        reclaimed.Add(entries.Length, new KeyValuePair<string, object?>("stream", spec.Stream.ToString()));

        // An entry that keeps coming back never completes (it crashes or hangs its worker): dead-letter it.
        var pending = await db.StreamPendingMessagesAsync(spec.Stream, spec.Group, entries.Length * 2, spec.Consumer, entries[0].Id, entries[^1].Id);
        var deliveries = pending.ToDictionary(p => (string)p.MessageId!, p => p.DeliveryCount, StringComparer.Ordinal);
        var poisoned = entries.Where(e => deliveries.GetValueOrDefault((string)e.Id!) > options.MaxDeliveries).ToArray();
        if (poisoned.Length > 0)
        {
            await DeadLetterAsync(db, spec, poisoned.Select(e => (e, $"delivered {deliveries[(string)e.Id!]} times without completing (a worker crashed or hung on it)", (long)deliveries[(string)e.Id!])).ToArray());
            entries = entries.Except(poisoned).ToArray();
            Count(spec, "dead_lettered", poisoned.Length);
        }

        return (entries, next);
    }

    private async Task ProcessAsync(
        IDatabase db,
        StreamConsumerSpec spec,
        IStreamEntryHandler handler,
        StreamEntry[] entries,
        ConcurrentDictionary<string, byte> held,
        SemaphoreSlim slots,
        CancellationToken cancellationToken)
    {
        // Let the read loop go on at once: processing runs beside it, up to MaxInFlight entries.
        await Task.Yield();
        using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keepAliveTask = KeepAliveAsync(db, spec, entries, keepAlive.Token);
        try
        {
            var remaining = entries;
            var attempts = new Dictionary<string, int>(StringComparer.Ordinal);
            var transientFailures = 0;
            while (remaining.Length > 0 && !cancellationToken.IsCancellationRequested)
            {
                // A read already waiting when the gate closed may bring entries, and a batch may be
                // retrying because Redis is full (OOM): hold them (kept alive, unacknowledged) until
                // the gate opens again, instead of writing into a full Redis. Asked before every
                // attempt, so the gate measures even while every in-flight slot is taken.
                if (spec.Gate is not null)
                {
                    await spec.Gate.WaitOpenAsync(cancellationToken);
                }

                EntryOutcome[] outcomes;
                try
                {
                    outcomes = await handler.HandleAsync(remaining, cancellationToken);
                    if (outcomes.Length != remaining.Length)
                    {
                        throw new InvalidOperationException($"handler returned {outcomes.Length} outcomes for {remaining.Length} entries");
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    transientFailures++;
                    Log.BatchFailed(logger, ex, remaining.Length, spec.Stream.ToString(), transientFailures);
                    await Task.Delay(Backoff(transientFailures), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                transientFailures = 0;
                var acks = new List<StreamEntry>();
                var dead = new List<(StreamEntry, string, long)>();
                var retry = new List<StreamEntry>();
                for (var i = 0; i < remaining.Length; i++)
                {
                    var entry = remaining[i];
                    var outcome = outcomes[i];
                    switch (outcome.Kind)
                    {
                        case EntryOutcomeKind.Ack:
                            acks.Add(entry);
                            break;
                        case EntryOutcomeKind.DeadLetter:
                            dead.Add((entry, outcome.Reason ?? "rejected", 1));
                            break;
                        default:
                            var n = attempts[entry.Id!] = attempts.GetValueOrDefault(entry.Id!) + 1;
                            if (n >= options.MaxAttempts)
                            {
                                dead.Add((entry, $"failed {n} attempts; last error: {outcome.Reason}", n));
                            }
                            else
                            {
                                retry.Add(entry);
                            }

                            break;
                    }
                }

                await SettleAsync(db, spec, acks, dead, cancellationToken);
                Count(spec, "acked", acks.Count);
                Count(spec, "dead_lettered", dead.Count);
                Count(spec, "retried", retry.Count);
                foreach (var entry in acks.Concat(dead.Select(d => d.Item1)))
                {
                    held.TryRemove(entry.Id!, out _);
                }

                remaining = retry.ToArray();
                if (remaining.Length > 0)
                {
                    await Task.Delay(Backoff(attempts.Values.Max()), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            await keepAlive.CancelAsync();
            await keepAliveTask.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            slots.Release(entries.Length);
        }
    }

    private void Count(StreamConsumerSpec spec, string outcome, int n)
    {
        if (n > 0)
        {
            settled.Add(n, new KeyValuePair<string, object?>("stream", spec.Stream.ToString()), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>Acknowledges and dead-letters, retrying through transient Redis failures until done or cancelled.</summary>
    private async Task SettleAsync(IDatabase db, StreamConsumerSpec spec, List<StreamEntry> acks, List<(StreamEntry Entry, string Reason, long Deliveries)> dead, CancellationToken cancellationToken)
    {
        for (var failures = 0; ; failures++)
        {
            try
            {
                var tasks = new List<Task>();
                if (acks.Count > 0)
                {
                    tasks.Add(db.StreamAcknowledgeAsync(spec.Stream, spec.Group, acks.Select(e => e.Id).ToArray()));
                }

                if (dead.Count > 0)
                {
                    tasks.Add(DeadLetterAsync(db, spec, dead));
                }

                await Task.WhenAll(tasks);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.SettleFailed(logger, ex, spec.Stream.ToString(), failures + 1);
                await Task.Delay(Backoff(failures + 1), time, cancellationToken);
            }
        }
    }

    private async Task DeadLetterAsync(IDatabase db, StreamConsumerSpec spec, IReadOnlyList<(StreamEntry Entry, string Reason, long Deliveries)> dead)
    {
        // One transaction: the entry is in the dead-letter stream if and only if it is acknowledged.
        // Both keys share the stream's hash tag, so this also holds on Redis Cluster.
        var tx = db.CreateTransaction();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        foreach (var (entry, reason, deliveries) in dead)
        {
            var fields = entry.Values
                .Where(f => !((string?)f.Name ?? "").StartsWith("dlq_", StringComparison.Ordinal))
                .Append(new NameValueEntry(DeadLetterReasonField, reason))
                .Append(new NameValueEntry(DeadLetterIdField, entry.Id))
                .Append(new NameValueEntry(DeadLetterDeliveriesField, deliveries))
                .Append(new NameValueEntry(DeadLetterConsumerField, spec.Consumer))
                .Append(new NameValueEntry(DeadLetterTimeField, now))
                .ToArray();
            _ = tx.StreamAddAsync(spec.DeadLetters, fields, maxLength: (int)Math.Min(options.DeadLetterMaxLength, int.MaxValue), useApproximateMaxLength: true);
            Log.DeadLettered(logger, (string?)entry.Id, spec.Stream.ToString(), reason);
        }

        _ = tx.StreamAcknowledgeAsync(spec.Stream, spec.Group, dead.Select(d => d.Entry.Id).ToArray());
        await tx.ExecuteAsync();
    }

    private async Task KeepAliveAsync(IDatabase db, StreamConsumerSpec spec, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var period = options.ClaimIdle / 3;
        var ids = entries.Select(e => e.Id).ToArray();
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(period, time, cancellationToken);
            try
            {
                // JUSTID: resets the idle time without counting a delivery.
                await db.StreamClaimIdsOnlyAsync(spec.Stream, spec.Group, spec.Consumer, 0, ids);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.KeepAliveFailed(logger, ex, spec.Stream.ToString());
            }
        }
    }

    private async Task ReleaseAsync(IDatabase db, StreamConsumerSpec spec, string[] ids)
    {
        if (ids.Length == 0)
        {
            return;
        }

        try
        {
            // Mark them idle for ClaimIdle already, so a live consumer reclaims them on its next pass.
            var args = new List<object> { spec.Stream, spec.Group, spec.Consumer, 0 };
            args.AddRange(ids);
            args.AddRange(["IDLE", (long)options.ClaimIdle.TotalMilliseconds, "JUSTID"]);
            await db.ExecuteAsync("XCLAIM", args.ToArray());
            Log.Released(logger, ids.Length, spec.Stream.ToString());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.KeepAliveFailed(logger, ex, spec.Stream.ToString());
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ms = Math.Min(options.MaxBackoff.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(failures, 20)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private async Task RetryTransientAsync(Func<Task> action, string what, CancellationToken cancellationToken)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                await action();
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.TransientFailure(logger, ex, what, failures);
                await Task.Delay(Backoff(failures), time, cancellationToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1000, LogLevel.Information, "Consuming {Stream} as {Group}/{Consumer}")]
        public static partial void Started(ILogger logger, string stream, string group, string consumer);

        [LoggerMessage(1001, LogLevel.Warning, "Reading {Stream} failed ({Failures} in a row); backing off")]
        public static partial void ReadFailed(ILogger logger, Exception ex, string stream, int failures);

        [LoggerMessage(1002, LogLevel.Warning, "Consumer group {Group} of {Stream} is missing; creating it again")]
        public static partial void GroupMissing(ILogger logger, string stream, string group);

        [LoggerMessage(1003, LogLevel.Information, "Reclaimed {Count} abandoned entries of {Stream} for {Consumer}")]
        public static partial void Reclaimed(ILogger logger, int count, string stream, string consumer);

        [LoggerMessage(1004, LogLevel.Warning, "Batch of {Count} entries of {Stream} failed ({Failures} in a row); keeping them and retrying")]
        public static partial void BatchFailed(ILogger logger, Exception ex, int count, string stream, int failures);

        [LoggerMessage(1005, LogLevel.Warning, "Dead-lettered entry {Id} of {Stream}: {Reason}")]
        public static partial void DeadLettered(ILogger logger, string? id, string stream, string reason);

        [LoggerMessage(1006, LogLevel.Warning, "Acknowledging entries of {Stream} failed ({Failures} in a row); retrying")]
        public static partial void SettleFailed(ILogger logger, Exception ex, string stream, int failures);

        [LoggerMessage(1007, LogLevel.Debug, "Keep-alive of in-flight entries of {Stream} failed")]
        public static partial void KeepAliveFailed(ILogger logger, Exception ex, string stream);

        [LoggerMessage(1008, LogLevel.Information, "Stopping: waiting for {Count} in-flight batches of {Stream}")]
        public static partial void Draining(ILogger logger, string stream, int count);

        [LoggerMessage(1009, LogLevel.Information, "Released {Count} unfinished entries of {Stream} to other consumers")]
        public static partial void Released(ILogger logger, int count, string stream);

        [LoggerMessage(1010, LogLevel.Information, "Stopped consuming {Stream} as {Consumer}")]
        public static partial void Stopped(ILogger logger, string stream, string consumer);

        [LoggerMessage(1012, LogLevel.Debug, "Recording the group state of {Stream} or trimming it failed; trying again next interval")]
        public static partial void UpkeepFailed(ILogger logger, Exception ex, string stream);

        [LoggerMessage(1011, LogLevel.Warning, "Could not {What} ({Failures} in a row); retrying")]
        public static partial void TransientFailure(ILogger logger, Exception ex, string what, int failures);
    }
}
