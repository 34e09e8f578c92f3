using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>An entry to move to the dead-letter stream, why, and how often it was delivered or attempted.</summary>
internal readonly record struct DeadLetter(StreamEntry Entry, string Reason, long Deliveries);

/// <summary>
/// Writes what became of entries: XACK for the done ones; for the dead ones, the copy to the
/// dead-letter stream and the XACK in one MULTI/EXEC, so an entry is in the dead-letter stream
/// exactly when it is acknowledged. Both keys share the stream's hash tag (Redis Cluster).
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
        var tx = db.CreateTransaction();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var maxLength = (int)Math.Min(options.DeadLetterMaxLength, int.MaxValue);
        foreach (var (entry, reason, deliveries) in dead)
        {
            var fields = entry.Values
                .Where(f => !((string?)f.Name ?? "").StartsWith(ConsumerGroupRunner.DeadLetterFieldPrefix, StringComparison.Ordinal))
                .Append(new NameValueEntry(ConsumerGroupRunner.DeadLetterReasonField, reason))
                .Append(new NameValueEntry(ConsumerGroupRunner.DeadLetterIdField, entry.Id))
                .Append(new NameValueEntry(ConsumerGroupRunner.DeadLetterDeliveriesField, deliveries))
                .Append(new NameValueEntry(ConsumerGroupRunner.DeadLetterConsumerField, spec.Consumer))
                .Append(new NameValueEntry(ConsumerGroupRunner.DeadLetterTimeField, now))
                .ToArray();
            _ = tx.StreamAddAsync(spec.DeadLetters, fields, maxLength: maxLength, useApproximateMaxLength: true);
            ConsumerLog.DeadLettered(logger, (string?)entry.Id, spec.Stream.ToString(), reason);
        }

        _ = tx.StreamAcknowledgeAsync(spec.Stream, spec.Group, dead.Select(d => d.Entry.Id).ToArray());
        await tx.ExecuteAsync();
    }
}
