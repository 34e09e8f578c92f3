using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StreamRag.Contracts;

namespace StreamRag.Redis;

/// <summary>An entry to move to the dead-letter stream, why, and how often it was delivered or attempted.</summary>
internal readonly record struct DeadLetter(StreamEntry Entry, string Reason, long Deliveries);

/// <summary>
/// Writes what became of entries: XACK for the done ones; for the dead ones, the copy to the
/// dead-letter stream and the XACK in one MULTI/EXEC, so an entry is in the dead-letter stream
/// exactly when it is acknowledged. Both keys share the stream's hash tag (Redis Cluster).
/// Only entries still pending to this consumer are dead-lettered: one another consumer took over
/// (this host stalled past ClaimIdle) is that consumer's to settle, and one already settled (a
/// retry after a reply was lost) is not copied twice.
/// </summary>
internal sealed class SettlementWriter(IDatabase db, StreamConsumerSpec spec, ConsumerGroupOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>Acknowledges and dead-letters, retrying through Redis failures until done or cancelled.</summary>
    public async Task WriteAsync(IReadOnlyList<StreamEntry> acks, IReadOnlyList<DeadLetter> dead, CancellationToken cancellationToken)
    {
        if (acks.Count == 0 && dead.Count == 0)
        {
            return;
        }

        for (var failures = 0; ; failures++)
        {
            try
            {
                var tasks = new List<Task>(2);
                if (acks.Count > 0)
                {
                    tasks.Add(db.StreamAcknowledgeAsync(spec.Stream, spec.Group, acks.Select(e => e.Id).ToArray()));
                }

                if (dead.Count > 0)
                {
                    tasks.Add(DeadLetterAsync(dead));
                }

                await Task.WhenAll(tasks);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                ConsumerLog.SettleFailed(logger, ex, spec.Stream.ToString(), failures + 1);
                await Task.Delay(Backoff.After(failures + 1, options.MaxBackoff), time, cancellationToken);
            }
        }
    }

    private async Task DeadLetterAsync(IReadOnlyList<DeadLetter> dead)
    {
        dead = await StillOursAsync(dead);
        if (dead.Count == 0)
        {
            return;
        }

        var tx = db.CreateTransaction();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var maxLength = (int)Math.Min(options.DeadLetterMaxLength, int.MaxValue);
        foreach (var (entry, reason, deliveries) in dead)
        {
            var fields = entry.Values
                .Where(f => !((string?)f.Name ?? "").StartsWith(DeadLetterFields.Prefix, StringComparison.Ordinal))
                .Append(new NameValueEntry(DeadLetterFields.Reason, reason))
                .Append(new NameValueEntry(DeadLetterFields.Id, entry.Id))
                .Append(new NameValueEntry(DeadLetterFields.Deliveries, deliveries))
                .Append(new NameValueEntry(DeadLetterFields.Consumer, spec.Consumer))
                .Append(new NameValueEntry(DeadLetterFields.Time, now))
                .ToArray();
            _ = tx.StreamAddAsync(spec.DeadLetters, fields, maxLength: maxLength, useApproximateMaxLength: true);
            ConsumerLog.DeadLettered(logger, (string?)entry.Id, spec.Stream.ToString(), reason);
        }

        _ = tx.StreamAcknowledgeAsync(spec.Stream, spec.Group, dead.Select(d => d.Entry.Id).ToArray());
        await tx.ExecuteAsync();
    }

    /// <summary>The dead letters whose entries are still pending to this consumer (XPENDING of each, pipelined).</summary>
    private async Task<IReadOnlyList<DeadLetter>> StillOursAsync(IReadOnlyList<DeadLetter> dead)
    {
        var pending = await Task.WhenAll(dead.Select(d =>
            db.StreamPendingMessagesAsync(spec.Stream, spec.Group, 1, spec.Consumer, d.Entry.Id, d.Entry.Id)));
        var ours = new List<DeadLetter>(dead.Count);
        for (var i = 0; i < dead.Count; i++)
        {
            if (pending[i].Length > 0)
            {
                ours.Add(dead[i]);
            }
            else
            {
                ConsumerLog.NotOursToDeadLetter(logger, (string)dead[i].Entry.Id!, spec.Stream.ToString(), spec.Consumer);
            }
        }

        return ours;
    }
}
