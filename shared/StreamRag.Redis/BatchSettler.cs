using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StreamRag.Contracts;

namespace StreamRag.Redis;

/// <summary>
/// Decides what becomes of each entry of a batch, and has it written:
/// <list type="bullet">
/// <item>what the handler reports done is acknowledged; what can never succeed is dead-lettered with
/// its reason; what it asks to retry is retried, up to MaxAttempts attempts of that entry;</item>
/// <item>a handler exception that is transient (Redis unavailable or LOADING, a dependency the
/// host registered as unavailable; see <see cref="TransientFailures"/>) holds the batch: it backs
/// off and tries again, and no attempt is counted;</item>
/// <item>any other exception counts an attempt of every entry in the batch. Once an entry has
/// MaxAttempts attempts, the batch is split in halves, each tried once more and split again while
/// it fails, until the failing entry is alone: that entry is dead-lettered with the exception, the
/// rest is processed and acknowledged;</item>
/// <item>a reclaimed entry brings its earlier deliveries as attempts (each one ended without a
/// result), so a poison entry does not start from zero after every restart; one delivered more than
/// MaxDeliveries times is dead-lettered without being tried (it crashes or hangs its workers).</item>
/// </list>
/// Attempts are counted here, never by Redis: keep-alives (XCLAIM JUSTID) cannot hide them.
/// </summary>
internal sealed class BatchSettler(
    StreamConsumerSpec spec,
    IStreamEntryHandler handler,
    ConsumerGroupOptions options,
    TimeProvider time,
    TransientFailures failures,
    SettlementWriter writer,
    ConsumerMetrics metrics,
    ILogger logger)
{
    /// <summary>Longest exception message kept in a dead-letter reason.</summary>
    private const int MaxErrorLength = 1000;

    /// <summary>Settles every entry of the batch, unless cancelled (drain timeout): what is left stays held.</summary>
    /// <param name="held">Ids this consumer holds; settled ones are removed.</param>
    public async Task SettleAsync(IntakeBatch batch, ConcurrentDictionary<string, byte> held, CancellationToken cancellationToken)
    {
        try
        {
            var attempts = new Dictionary<string, int>(StringComparer.Ordinal);
            var overDelivered = new List<DeadLetter>();
            var entries = new List<StreamEntry>(batch.Entries.Length);
            foreach (var entry in batch.Entries)
            {
                var deliveries = batch.DeliveriesOf(entry);
                if (deliveries > options.MaxDeliveries)
                {
                    overDelivered.Add(new(entry, $"{ErrorCodes.Internal}: delivered {deliveries} times without completing (a worker crashed or hung on it)", deliveries));
                    continue;
                }

                attempts[(string)entry.Id!] = (int)Math.Min(deliveries - 1, int.MaxValue);
                entries.Add(entry);
            }

            if (overDelivered.Count > 0)
            {
                await SettleAsync([], overDelivered, held, cancellationToken);
                metrics.Settled(spec, "dead_lettered", overDelivered.Count);
            }

            await SettlePartAsync(entries.ToArray(), attempts, held, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Drain timeout: the runner releases what is still held.
        }
    }

    /// <summary>Settles one part of a batch: the whole batch, or a half of a part that kept failing.</summary>
    private async Task SettlePartAsync(StreamEntry[] part, Dictionary<string, int> attempts, ConcurrentDictionary<string, byte> held, CancellationToken cancellationToken)
    {
        var transientInARow = 0;
        while (part.Length > 0 && !cancellationToken.IsCancellationRequested)
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
                outcomes = await handler.HandleAsync(part, cancellationToken);
                if (outcomes.Length != part.Length)
                {
                    throw new InvalidOperationException($"handler returned {outcomes.Length} outcomes for {part.Length} entries");
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (failures.IsTransient(ex, out var retryAfter))
            {
                transientInARow++;
                ConsumerLog.BatchHeld(logger, ex, part.Length, spec.Stream.ToString(), transientInARow);
                await Task.Delay(Backoff.After(transientInARow, options.MaxBackoff, retryAfter), time, cancellationToken);
                continue;
            }
            catch (Exception ex)
            {
                transientInARow = 0;
                var most = 0;
                foreach (var entry in part)
                {
                    most = Math.Max(most, attempts[(string)entry.Id!] = attempts[(string)entry.Id!] + 1);
                }

                if (most < options.MaxAttempts)
                {
                    ConsumerLog.AttemptFailed(logger, ex, part.Length, spec.Stream.ToString(), most, options.MaxAttempts);
                    await Task.Delay(Backoff.After(most, options.MaxBackoff), time, cancellationToken);
                    continue;
                }

                if (part.Length == 1)
                {
                    await SettleAsync([], [new(part[0], $"{ErrorCodes.Internal}: failed {most} attempts, the last one alone; last error: {Describe(ex)}", most)], held, cancellationToken);
                    metrics.Settled(spec, "dead_lettered", 1);
                    return;
                }

                ConsumerLog.Splitting(logger, part.Length, spec.Stream.ToString(), most);
                var half = part.Length / 2;
                await SettlePartAsync(part[..half], attempts, held, cancellationToken);
                await SettlePartAsync(part[half..], attempts, held, cancellationToken);
                return;
            }

            transientInARow = 0;
            part = await ApplyAsync(part, outcomes, attempts, held, cancellationToken);
            if (part.Length > 0)
            {
                await Task.Delay(Backoff.After(part.Max(e => attempts[(string)e.Id!]), options.MaxBackoff), time, cancellationToken);
            }
        }
    }

    /// <summary>Writes the handler's outcomes; returns the entries to try again.</summary>
    private async Task<StreamEntry[]> ApplyAsync(StreamEntry[] part, EntryOutcome[] outcomes, Dictionary<string, int> attempts, ConcurrentDictionary<string, byte> held, CancellationToken cancellationToken)
    {
        var acks = new List<StreamEntry>();
        var dead = new List<DeadLetter>();
        var retry = new List<StreamEntry>();
        for (var i = 0; i < part.Length; i++)
        {
            var entry = part[i];
            var outcome = outcomes[i];
            switch (outcome.Kind)
            {
                case EntryOutcomeKind.Ack:
                    acks.Add(entry);
                    break;
                case EntryOutcomeKind.DeadLetter:
                    dead.Add(new(entry, outcome.Reason ?? "rejected", attempts[(string)entry.Id!] + 1));
                    break;
                default:
                    var n = attempts[(string)entry.Id!] += 1;
                    if (n >= options.MaxAttempts)
                    {
                        dead.Add(new(entry, $"failed {n} attempts; last error: {outcome.Reason}", n));
                    }
                    else
                    {
                        retry.Add(entry);
                    }

                    break;
            }
        }

        await SettleAsync(acks, dead, held, cancellationToken);
        metrics.Settled(spec, "acked", acks.Count);
        metrics.Settled(spec, "dead_lettered", dead.Count);
        metrics.Settled(spec, "retried", retry.Count);
        return retry.ToArray();
    }

    private async Task SettleAsync(IReadOnlyList<StreamEntry> acks, IReadOnlyList<DeadLetter> dead, ConcurrentDictionary<string, byte> held, CancellationToken cancellationToken)
    {
        await writer.WriteAsync(acks, dead, cancellationToken);
        foreach (var entry in acks.Concat(dead.Select(d => d.Entry)))
        {
            held.TryRemove((string)entry.Id!, out _);
        }
    }

    /// <summary>The exception's type and message, for a dead-letter reason an operator can act on.</summary>
    internal static string Describe(Exception exception)
    {
        var message = exception.Message.Length <= MaxErrorLength ? exception.Message : string.Concat(exception.Message.AsSpan(0, MaxErrorLength), "…");
        return $"{exception.GetType().FullName}: {message}";
    }
}
