using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Sweeper;

/// <summary>What one sweep pass did.</summary>
/// <param name="Picked">Due documents read from the expiry indexes.</param>
/// <param name="Expired">Documents this pass deleted.</param>
/// <param name="Batches">Script calls made (each at most <see cref="SweeperOptions.BatchSize"/> documents).</param>
/// <param name="LargestBatch">Most documents given to one call.</param>
/// <param name="Recovered">Orphaned deletion records this pass published.</param>
internal sealed record SweepReport(int Picked, int Expired, int Batches, int LargestBatch, int Recovered);

/// <summary>
/// Deletes expired documents. Work is driven by each partition's expiry index (a sorted set scored
/// by expiry time): a pass reads only what is due, earliest first, in bounded batches, so its cost
/// grows with the number of documents expiring, never with the number stored, and Redis serves other
/// clients between batches. Any number of sweepers may run: the index's expiry script deletes a
/// document only if it is still in the expiry index at the picked instant, so a document is deleted
/// once, by one sweeper, and one re-scheduled after it was picked survives.
/// <para>
/// Audit: the script writes a deletion record to the partition's outbox atomically with the delete
/// (same hash slot). The sweeper then copies the records to the document-deletions stream (another
/// slot, so it cannot be the same script on Redis Cluster) and removes them from the outbox. If a
/// sweeper stops in between, another one publishes the records once they are older than
/// <see cref="SweeperOptions.OrphanAge"/>: every deletion gets a record, at least once.
/// </para>
/// </summary>
internal sealed partial class ExpirySweeper(
    IVectorIndex index,
    IPartitionMetadata metadata,
    RedisConnections connections,
    KeySchema keys,
    IOptions<SweeperOptions> options,
    SweeperMetrics metrics,
    TimeProvider time,
    ILogger<ExpirySweeper> logger)
{
    private const int MaxPublishingBatches = 4;
    private readonly SweeperOptions settings = options.Value;
    private long lastRecovery = long.MinValue;

    private long passes;
    private long lastPassNowMs = long.MinValue;

    /// <summary>Passes completed since start.</summary>
    public long Passes => Interlocked.Read(ref passes);

    /// <summary>The clock reading the latest completed pass judged expiry by.</summary>
    public DateTimeOffset? LastPassNow => Interlocked.Read(ref lastPassNowMs) is var ms && ms == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public async Task<SweepReport> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var tenants = await metadata.ListTenantsAsync(cancellationToken);
        int picked = 0, expiredCount = 0, batches = 0, largest = 0;

        // Start at a random tenant, so sweepers that run side by side mostly work apart; then take
        // one batch per tenant in turn, so a tenant with a huge backlog does not starve the others.
        var start = tenants.Count == 0 ? 0 : Random.Shared.Next(tenants.Count);
        var active = tenants.Skip(start).Concat(tenants.Take(start)).ToList();
        // Publishing a batch's records overlaps picking and expiring the next ones (a few batches in
        // flight at most); a record whose publishing fails stays in the outbox for recovery.
        var publishing = new Queue<Task>();
        while (active.Count > 0)
        {
            var more = new List<string>();
            foreach (var tenant in active)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var due = await metadata.DueForExpiryAsync(tenant, now, settings.BatchSize, cancellationToken);
                if (due.Count == 0)
                {
                    continue;
                }

                var deletedAt = time.GetUtcNow();
                var expired = await index.ExpireBatchAsync(tenant, due, deletedAt, cancellationToken);
                picked += due.Count;
                expiredCount += expired.Count;
                batches++;
                largest = Math.Max(largest, due.Count);
                metrics.Expired.Add(expired.Count);
                metrics.Skipped.Add(due.Count - expired.Count);
                if (expired.Count > 0)
                {
                    metrics.SetLag(deletedAt - expired.Min(e => e.ExpiresAt));
                    publishing.Enqueue(PublishAsync(expired, cancellationToken));
                    if (publishing.Count > MaxPublishingBatches)
                    {
                        await publishing.Dequeue();
                    }
                }

                if (due.Count == settings.BatchSize)
                {
                    more.Add(tenant);
                }
            }

            active = more;
        }

        await Task.WhenAll(publishing);
        if (expiredCount == 0)
        {
            metrics.SetLag(TimeSpan.Zero);
        }

        var recovered = 0;
        if (lastRecovery == long.MinValue || time.GetElapsedTime(lastRecovery) >= settings.RecoveryInterval)
        {
            recovered = await RecoverOrphansAsync(tenants, cancellationToken);
            lastRecovery = time.GetTimestamp();
        }

        metrics.PassCompleted();
        Interlocked.Increment(ref passes);
        Interlocked.Exchange(ref lastPassNowMs, now.ToUnixTimeMilliseconds());
        if (expiredCount > 0 || recovered > 0)
        {
            Log.Swept(logger, expiredCount, picked - expiredCount, batches, recovered);
        }

        return new SweepReport(picked, expiredCount, batches, largest, recovered);
    }

    /// <summary>Copies deletion records to the audit stream, then removes them from the outbox.</summary>
    private async Task PublishAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var adds = new Task[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            adds[i] = db.StreamAddAsync(keys.DocumentDeletions, Fields(records[i]), maxLength: settings.DeletionsMaxLength, useApproximateMaxLength: true);
        }

        await Task.WhenAll(adds);
        metrics.Published.Add(records.Count);
        await metadata.AcknowledgeDeletionRecordsAsync(records, cancellationToken);
    }

    private async Task<int> RecoverOrphansAsync(IReadOnlyList<string> tenants, CancellationToken cancellationToken)
    {
        var recovered = 0;
        foreach (var tenant in tenants)
        {
            while (true)
            {
                var pending = await metadata.PendingDeletionRecordsAsync(tenant, settings.BatchSize, cancellationToken);
                var cutoff = time.GetUtcNow() - settings.OrphanAge;
                var orphans = pending.Where(r => r.DeletedAt <= cutoff).ToArray();
                if (orphans.Length == 0)
                {
                    break;
                }

                await PublishAsync(orphans, cancellationToken);
                recovered += orphans.Length;
                metrics.Recovered.Add(orphans.Length);
                if (orphans.Length < pending.Count || pending.Count < settings.BatchSize)
                {
                    break;
                }
            }
        }

        return recovered;
    }

    private static NameValueEntry[] Fields(ExpiredDocument record) =>
    [
        new(DocumentDeletionFields.Tenant, record.Tenant),
        new(DocumentDeletionFields.Id, record.Id),
        new(DocumentDeletionFields.Version, record.Version),
        new(DocumentDeletionFields.Source, record.Source),
        new(DocumentDeletionFields.Reason, DocumentDeletionFields.ReasonExpired),
        new(DocumentDeletionFields.ExpiresAt, record.ExpiresAt.ToUnixTimeMilliseconds()),
        new(DocumentDeletionFields.DeletedAt, record.DeletedAt.ToUnixTimeMilliseconds()),
    ];

    private static partial class Log
    {
        [LoggerMessage(3000, LogLevel.Information, "Expired {Expired} documents in {Batches} batches ({Skipped} picked but changed or taken by another sweeper; {Recovered} orphaned deletion records published)")]
        public static partial void Swept(ILogger logger, int expired, int skipped, int batches, int recovered);
    }
}
