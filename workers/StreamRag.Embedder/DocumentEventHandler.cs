using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Embedder;

/// <summary>
/// Turns a batch of document events into index writes: parses them (malformed ones are
/// dead-lettered with the reason), skips versions older than what is indexed, skips embedding
/// when the content hash is unchanged, embeds all new chunks of the batch in as few calls as the
/// batch limit allows, and writes each document atomically.
/// </summary>
internal sealed partial class DocumentEventHandler(
    IVectorIndex index,
    IPartitionMetadata metadata,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    ContractLimits limits,
    IChunker chunker,
    IOptions<EmbedderOptions> options,
    EmbedderMetrics metrics,
    RetentionPolicy retention,
    TimeProvider time,
    RedisConnections connections,
    ReplicaAcknowledgement replicas,
    ILogger<DocumentEventHandler> logger) : IStreamEntryHandler
{
    private readonly DocumentEventParser parser = new(limits);
    // The passage rules (Passages: repeats and empty passages dropped) are part of what is stored, so of the salt too.
    private readonly string hashSalt = $"{embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId}|{index.Dimensions}|{chunker.Fingerprint}|{Passages.Rules}\n";

    public async Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        var outcomes = new EntryOutcome[entries.Count];
        var events = new List<(int Slot, DocumentEvent Event, DateTimeOffset? Arrived)>();
        var now = time.GetUtcNow();
        for (var i = 0; i < entries.Count; i++)
        {
            // An id whose time is past year 9999 says nothing about arrival: the event's default
            // timestamp is then the moment it is taken up, and it is left out of freshness.
            var arrived = StreamEntries.TimeOf(entries[i].Id);
            var parsed = parser.Parse(entries[i].RawFields(), arrived ?? now);
            if (parsed.IsValid)
            {
                events.Add((i, parsed.Value!, arrived));
            }
            else
            {
                outcomes[i] = EntryOutcome.DeadLetter(parsed.Error!.ToString());
                metrics.Event("dead_lettered");
            }
        }

        // One span for the batch, linked to every traced event in it: the batch is embedded together,
        // so it belongs to no single trace; each document's write is a child of its own event's trace.
        using var batch = StreamRagTelemetry.Source.StartActivity(
            SpanNames.EmbedBatch,
            ActivityKind.Consumer,
            parentContext: default,
            tags: [new(SpanAttributes.BatchSize, entries.Count)],
            links: events.Where(e => e.Event.TraceParent is not null).Select(e => new ActivityLink(e.Event.TraceParent!.Value)).ToArray());

        // Events of one document run in stream order; different documents run side by side.
        var byDocument = events.GroupBy(e => (e.Event.Tenant, e.Event.Id));
        var plans = await Task.WhenAll(byDocument.Select(g => PlanAsync(g.ToArray(), cancellationToken)));
        var toEmbed = plans.SelectMany(p => p).Where(p => p.Chunks is not null).ToArray();
        await EmbedPlansAsync(toEmbed, cancellationToken);

        await Task.WhenAll(plans.Select(async group =>
        {
            foreach (var plan in group)
            {
                outcomes[plan.Slot] = plan.Refused is { } reason ? EntryOutcome.DeadLetter(reason) : await WriteTracedAsync(plan, batch, cancellationToken);
                if (plan.Refused is not null)
                {
                    metrics.Event("dead_lettered");
                }
            }
        }));

        if (replicas.Enabled && events.Count > 0)
        {
            // Redis:WaitForReplicas: what is acknowledged next must survive a master's crash. Too
            // few confirmations throw a transient failure: the batch is held and written again.
            var written = await metadata.WrittenKeysAsync(events.Select(e => (e.Event.Tenant, e.Event.Id)), cancellationToken);
            await replicas.WaitAsync(await connections.GetSharedAsync(), written);
        }

        return outcomes;
    }

    /// <summary>
    /// Embeds the chunks of every plan in as few calls as the batch limit allows. When the provider
    /// refuses a call for its content, each document is retried alone, so only the documents that
    /// can never be embedded are dead-lettered. An unavailable provider throws: the whole batch
    /// stays pending and is retried after a back-off.
    /// </summary>
    private async Task EmbedPlansAsync(WritePlan[] plans, CancellationToken cancellationToken)
    {
        if (plans.Length == 0)
        {
            return;
        }

        try
        {
            var vectors = await EmbedAsync(plans.SelectMany(p => p.Chunks!).Select(c => c.Text).ToArray(), cancellationToken);
            var offset = 0;
            foreach (var plan in plans)
            {
                var count = plan.Chunks!.Count;
                KeepDistinctVectors(plan, vectors[offset..(offset + count)]);
                offset += count;
            }
        }
        catch (Exception ex) when (ex is EmbeddingRequestRejectedException or EmbeddingResponseInvalidException or EmbeddingInputTooLongException && plans.Length > 1)
        {
            foreach (var plan in plans)
            {
                await EmbedPlansAsync([plan], cancellationToken);
            }
        }
        catch (Exception ex) when (ex is EmbeddingRequestRejectedException or EmbeddingResponseInvalidException or EmbeddingInputTooLongException)
        {
            plans[0].Refused = $"{ErrorCodes.InvalidField}: the embedding provider refused this document: {ex.Message}";
        }
    }

    private sealed class WritePlan(int slot, DocumentEvent @event, DateTimeOffset? arrived, string contentHash, IReadOnlyList<TextChunk>? chunks)
    {
        public int Slot { get; } = slot;

        /// <summary>When the event entered the stream; null when its id does not say.</summary>
        public DateTimeOffset? Arrived { get; } = arrived;

        public DocumentEvent Event { get; } = @event;

        public string ContentHash { get; } = contentHash;

        /// <summary>Null when the indexed content is the same: only metadata changes.</summary>
        public IReadOnlyList<TextChunk>? Chunks { get; set; } = chunks;

        public ReadOnlyMemory<float>[]? Vectors { get; set; }

        /// <summary>Why this document can never be indexed (it is dead-lettered): the provider refused it, or it makes too many passages.</summary>
        public string? Refused { get; set; }
    }

    private async Task<List<WritePlan>> PlanAsync((int Slot, DocumentEvent Event, DateTimeOffset? Arrived)[] events, CancellationToken cancellationToken)
    {
        var first = events[0].Event;
        var state = await metadata.GetStateAsync(first.Tenant, first.Id, cancellationToken);
        var plans = new List<WritePlan>();
        var indexedHash = state is { Deleted: false } ? state.ContentHash : null;
        foreach (var (slot, e, arrived) in events)
        {
            if (e.Operation == DocumentOperation.Delete)
            {
                plans.Add(new WritePlan(slot, e, arrived, "", null));
                indexedHash = null;
                continue;
            }

            var hash = ContentHash(e.Content);
            if (hash == indexedHash)
            {
                plans.Add(new WritePlan(slot, e, arrived, hash, null));
                continue;
            }

            var (passages, refused) = PassagesOf(e.Content);
            plans.Add(new WritePlan(slot, e, arrived, hash, passages) { Refused = refused });
            if (refused is null)
            {
                indexedHash = hash;
            }
        }

        return plans;
    }

    /// <summary>The write of one document, as a child of its event's traceparent (else of the batch), linked to the batch.</summary>
    private async Task<EntryOutcome> WriteTracedAsync(WritePlan plan, Activity? batch, CancellationToken cancellationToken)
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

            var result = await index.UpsertAsync(ToDocument(plan), cancellationToken);
            if (result == IndexWriteResult.ContentChanged)
            {
                // Another version landed between planning and writing: embed this content after all.
                var (passages, refused) = PassagesOf(e.Content);
                if (refused is not null)
                {
                    metrics.Event("dead_lettered");
                    return EntryOutcome.DeadLetter(refused);
                }

                plan.Chunks = passages;
                KeepDistinctVectors(plan, await EmbedAsync(passages!.Select(c => c.Text).ToArray(), cancellationToken));
                result = await index.UpsertAsync(ToDocument(plan), cancellationToken);
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
            metrics.Event("dead_lettered");
            return EntryOutcome.DeadLetter($"{ErrorCodes.InvalidField}: embedding refused: {ex.Message}");
        }
        catch (Exception ex) when (ex is EmbeddingRequestRejectedException or EmbeddingResponseInvalidException or EmbeddingInputTooLongException)
        {
            metrics.Event("dead_lettered");
            return EntryOutcome.DeadLetter($"{ErrorCodes.InvalidField}: the embedding provider refused this document: {ex.Message}");
        }
        catch (RedisServerException ex) when (!RedisErrors.IsTransient(ex))
        {
            // The server refused this write (not a passing state of the server): retried a few
            // times, then dead-lettered, while the rest of the batch goes on.
            return EntryOutcome.Retry($"{ErrorCodes.Internal}: Redis refused the write: {ex.Message}");
        }
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

    private async Task<ReadOnlyMemory<float>[]> EmbedAsync(string[] texts, CancellationToken cancellationToken)
    {
        var vectors = new List<ReadOnlyMemory<float>>(texts.Length);
        foreach (var batch in texts.Chunk(options.Value.MaxEmbeddingBatch))
        {
            var started = time.GetTimestamp();
            var embeddings = await embedder.GenerateAsync(batch, cancellationToken: cancellationToken);
            metrics.EmbeddingCall(batch.Length, time.GetElapsedTime(started).TotalMilliseconds);
            if (embeddings.Count != batch.Length)
            {
                throw new InvalidOperationException($"the embedding provider returned {embeddings.Count} vectors for {batch.Length} inputs");
            }

            vectors.AddRange(embeddings.Select(x => x.Vector));
        }

        return vectors.ToArray();
    }

    /// <summary>
    /// The distinct passages of a document's content, or why it is refused: more of them than
    /// <see cref="EmbedderOptions.MaxPassagesPerDocument"/>. A document is indexed whole or not at all.
    /// </summary>
    private (IReadOnlyList<TextChunk>? Passages, string? Refused) PassagesOf(string content)
    {
        var cut = chunker.Split(content);
        var distinct = Passages.Distinct(cut);
        metrics.PassagesDropped("repeated", distinct.Repeated);
        metrics.PassagesDropped("empty", distinct.Empty);
        var limit = options.Value.MaxPassagesPerDocument;
        return distinct.Kept.Count <= limit
            ? (distinct.Kept, null)
            : (null, string.Create(CultureInfo.InvariantCulture,
                $"{ErrorCodes.TooLarge}: the document makes {distinct.Kept.Count} distinct passages; the limit is {limit} (Embedder:MaxPassagesPerDocument). Split it into several documents"));
    }

    /// <summary>Keeps the passages whose vectors are worth storing (<see cref="Passages.DistinctVectors"/>), in order.</summary>
    private void KeepDistinctVectors(WritePlan plan, ReadOnlyMemory<float>[] vectors)
    {
        var distinct = Passages.DistinctVectors(vectors, IndexOptions.NearDuplicateCosine);
        metrics.PassagesDropped("near_duplicate", distinct.NearDuplicates);
        metrics.PassagesDropped("no_direction", distinct.Degenerate);
        if (distinct.Kept.Count == vectors.Length)
        {
            plan.Vectors = vectors;
            return;
        }

        plan.Chunks = distinct.Kept.Select(i => plan.Chunks![i]).ToArray();
        plan.Vectors = distinct.Kept.Select(i => vectors[i]).ToArray();
    }

    private string ContentHash(string content)
    {
        // The salt makes a change of model or chunking count as changed content.
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(hashSalt + content), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    private static partial class Log
    {
        [LoggerMessage(2000, LogLevel.Debug, "Upserted {Id} v{Version} ({Chunks} chunks embedded; -1 = metadata only): {Result}")]
        public static partial void Upserted(ILogger logger, string id, long version, int chunks, IndexWriteResult result);

        [LoggerMessage(2001, LogLevel.Debug, "Deleted {Id} v{Version}: {Result}")]
        public static partial void Deleted(ILogger logger, string id, long version, IndexWriteResult result);
    }
}
