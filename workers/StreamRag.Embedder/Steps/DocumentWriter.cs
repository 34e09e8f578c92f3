using System.Diagnostics;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Embedder;

/// <summary>
/// The write step: one atomic index write per planned event (upsert or delete), traced as a child of
/// the event's own trace, and its outcome for the runner: acknowledged, retried, or dead-lettered.
/// </summary>
internal sealed partial class DocumentWriter(
    IVectorIndex index,
    DocumentPlanner planner,
    PassageEmbedder passages,
    RetentionPolicy retention,
    WatchMatcher watches,
    EmbedderMetrics metrics,
    TimeProvider time,
    ILogger<DocumentWriter> logger)
{
    /// <summary>The write of one document, as a child of its event's traceparent (else of the batch), linked to the batch.</summary>
    public async Task<EntryOutcome> WriteTracedAsync(WritePlan plan, Activity? batch, CancellationToken cancellationToken)
    {
        var e = plan.Event;
        using var span = StreamRagTelemetry.Source.StartActivity(
            SpanNames.Write,
            ActivityKind.Internal,
            e.TraceParent ?? batch?.Context ?? default,
            tags: [new(SpanAttributes.DocumentId, e.Id), new(SpanAttributes.Tenant, e.Tenant)],
            links: e.TraceParent is not null && batch is not null ? [new ActivityLink(batch.Context)] : null);
        var outcome = await WriteAsync(plan, cancellationToken);
        if (span is not null && outcome.Kind != EntryOutcomeKind.Ack)
        {
            span.SetStatus(ActivityStatusCode.Error, outcome.Reason);
        }

        return outcome;
    }

    private async Task<EntryOutcome> WriteAsync(WritePlan plan, CancellationToken cancellationToken)
    {
        var e = plan.Event;
        try
        {
            if (e.Operation == DocumentOperation.Delete)
            {
                var deleted = await index.DeleteAsync(e.Tenant, e.Id, e.Version, cancellationToken);
                Log.Deleted(logger, e.Id, e.Version, deleted);
                metrics.Event(deleted == IndexWriteResult.Applied ? "deleted" : "stale");
                return EntryOutcome.Ack;
            }

            var document = ToDocument(plan);
            await NotifyWatchesAsync(plan, document, cancellationToken);
            var result = await index.UpsertAsync(document, cancellationToken);
            if (result == IndexWriteResult.ContentChanged)
            {
                // Another version landed between planning and writing: embed this content after all.
                var (chunks, refused) = planner.PassagesOf(e.Content);
                if (refused is not null)
                {
                    return DeadLetter(refused);
                }

                plan.Chunks = chunks;
                await passages.EmbedOneAsync(plan, cancellationToken);
                document = ToDocument(plan);
                await NotifyWatchesAsync(plan, document, cancellationToken);
                result = await index.UpsertAsync(document, cancellationToken);
            }

            Log.Upserted(logger, e.Id, e.Version, plan.Chunks?.Count ?? -1, result);
            metrics.Event(result != IndexWriteResult.Applied ? "stale" : plan.Chunks is null ? "unchanged" : "indexed");
            if (result == IndexWriteResult.Applied && plan.Arrived is { } arrived)
            {
                var now = time.GetUtcNow();
                metrics.Searchable(now > arrived ? (now - arrived).TotalMilliseconds : 0);
            }

            return EntryOutcome.Ack;
        }
        catch (DimensionMismatchException ex)
        {
            return DeadLetter($"{ErrorCodes.InvalidField}: embedding refused: {ex.Message}");
        }
        catch (Exception ex) when (PassageEmbedder.IsRefusal(ex))
        {
            return DeadLetter(PassageEmbedder.Refusal(ex));
        }
        catch (RedisServerException ex) when (!RedisErrors.IsTransient(ex))
        {
            // The server refused this write (not a passing state of the server): retried a few
            // times, then dead-lettered, while the rest of the batch goes on.
            return EntryOutcome.Retry($"{ErrorCodes.Internal}: Redis refused the write: {ex.Message}");
        }
    }

    /// <summary>
    /// Notifies the watches the new passages match, before the write: a crash after the write and
    /// before the acknowledgement leaves an event that is stale when redelivered (never matched
    /// again), so matching first is what makes notification at least once; the notify script
    /// remembers each (watch, document, version, passage), so the redelivery notifies nothing twice.
    /// Only new or changed passages match: a delete or a metadata-only update notifies nothing.
    /// </summary>
    private async Task NotifyWatchesAsync(WritePlan plan, IndexedDocument document, CancellationToken cancellationToken)
    {
        if (document.Chunks is not { Count: > 0 })
        {
            return;
        }

        var report = await watches.NotifyAsync(document, plan.EventId, cancellationToken);
        if (report.Matched > 0)
        {
            metrics.WatchNotifications(report.Notified, plan.Arrived is { } arrived ? (time.GetUtcNow() - arrived).TotalMilliseconds : null);
            Log.Notified(logger, plan.Event.Id, plan.Event.Version, report.Matched, report.Notified);
        }
    }

    private EntryOutcome DeadLetter(string reason)
    {
        metrics.Event("dead_lettered");
        return EntryOutcome.DeadLetter(reason);
    }

    private IndexedDocument ToDocument(WritePlan plan)
    {
        var e = plan.Event;
        // Numbered by position: the passages kept, 0..n-1, are the document's chunk ids.
        var chunks = plan.Chunks?.Select((c, i) => new IndexedChunk(i, c.Text, plan.Vectors![i])).ToArray();
        // The event's own expiry wins; else the configured retention of its source, if any.
        var expiresAt = retention.ExpiryOf(e.ExpiresAt, e.Source, e.Timestamp);
        return new IndexedDocument(e.Tenant, e.Id, e.Version, plan.ContentHash, e.Source, e.Timestamp, e.Tags, expiresAt, chunks);
    }

    private static partial class Log
    {
        [LoggerMessage(2000, LogLevel.Debug, "Upserted {Id} v{Version} ({Chunks} chunks embedded; -1 = metadata only): {Result}")]
        public static partial void Upserted(ILogger logger, string id, long version, int chunks, IndexWriteResult result);

        [LoggerMessage(2001, LogLevel.Debug, "Deleted {Id} v{Version}: {Result}")]
        public static partial void Deleted(ILogger logger, string id, long version, IndexWriteResult result);

        [LoggerMessage(2800, LogLevel.Debug, "{Id} v{Version} matched {Matched} watch passages; {Notified} notifications appended (the rest were made before)")]
        public static partial void Notified(ILogger logger, string id, long version, int matched, int notified);
    }
}
