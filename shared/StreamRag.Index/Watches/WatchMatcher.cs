using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// Matching on ingestion: for each new or changed passage of a document, one VSIM asks its tenant's
/// watch set which watches the passage vector is within threshold of (bounded by the tenant's lowest
/// threshold with EPSILON; pipelined over the passages), the watches' own thresholds and filters are
/// checked on the attributes returned, and one script per notify_to stream appends the document's
/// notifications to it, each unless that watch, document version and passage were notified already.
/// </summary>
public sealed class WatchMatcher(RedisConnections connections, KeySchema keys, IOptions<WatchOptions> options, TimeProvider time)
{
    private static readonly string NotifyScript = LuaScripts.Read(typeof(WatchMatcher), "watch_notify.lua");

    /// <summary>The lowest threshold of a tenant without watches: above every real one (at most 1).</summary>
    private const double NoWatches = double.PositiveInfinity;

    /// <summary>
    /// Whether every server takes VSIM WITHATTRIBS (Redis 8.2 on); before, the attributes of the few
    /// watches a search returns are read with VGETATTR.
    /// </summary>
    private readonly Lazy<Task<bool>> attributeReads = new(async () => VectorSetIndex.TakeWithAttribs((await connections.GetSharedAsync()).GetServers()));

    /// <summary>Each tenant's lowest watch threshold as last read (absent: not read yet), which bounds the VSIMs sent with the next read.</summary>
    private readonly ConcurrentDictionary<string, double> lowest = new(StringComparer.Ordinal);

    /// <summary>Matches the document's passages against its tenant's watches and notifies each match once.</summary>
    /// <param name="eventId">The stream id of the event that brought this version (carried in the notifications).</param>
    public async Task<WatchMatchReport> NotifyAsync(IndexedDocument document, string? eventId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document.Chunks is not { Count: > 0 } chunks)
        {
            return default;
        }

        var db = (await connections.GetSharedAsync()).GetDatabase();
        var now = time.GetUtcNow();
        // The lowest threshold is read in the same round trip as the searches, which use the one read
        // before; only when it has dropped since (a watch with a lower threshold was just registered)
        // are the searches sent again with the new bound, so no match below the old bound is missed.
        // A tenant not read yet is searched with no bound; one that had no watches at the last read
        // (NoWatches) is not searched at all until the read finds some.
        var assumed = lowest.GetValueOrDefault(document.Tenant, 0);
        var lowestRead = db.SortedSetRangeByRankWithScoresAsync(keys.WatchThresholds(document.Tenant), 0, 0);
        var withAttributes = await attributeReads.Value;
        var bound = assumed;
        var searches = assumed == NoWatches ? [] : Search(db, document.Tenant, chunks, assumed, withAttributes);
        var current = await lowestRead.WaitAsync(cancellationToken) is [var entry] ? entry.Score : NoWatches;
        lowest[document.Tenant] = current;
        if (current < assumed)
        {
            await Task.WhenAll(searches).WaitAsync(cancellationToken);
            searches = Search(db, document.Tenant, chunks, current, withAttributes);
            bound = current;
        }
        else if (current == NoWatches)
        {
            // Nothing can match (any searches sent found an empty or absent set).
            await Task.WhenAll(searches).WaitAsync(cancellationToken);
            return default;
        }

        // A passage whose first search came back full may be near more watches: searched again for all it may notify.
        var searchAll = (int chunk) => Search(db, document.Tenant, chunks[chunk].Vector, bound, withAttributes, options.Value.MaxMatchesPerPassage);
        return await NotifyMatchesAsync(db, document, eventId, chunks, searches, searchAll, now, cancellationToken);
    }

    /// <summary>
    /// One VSIM per passage, pipelined: the watches scoring at least <paramref name="bound"/> (EPSILON),
    /// closest first, with their attributes. No FILTER: a filter expression is evaluated on every node
    /// the search visits (measured 8× slower on 10,000 watches), so the watches' filters are checked on
    /// the few candidates returned (<see cref="WatchAttributes.Accepts"/>).
    /// </summary>
    private Task<Lease<VectorSetSimilaritySearchResult>?>[] Search(IDatabase db, string tenant, IReadOnlyList<IndexedChunk> chunks, double bound, bool withAttributes)
    {
        var searches = new Task<Lease<VectorSetSimilaritySearchResult>?>[chunks.Count];
        for (var i = 0; i < chunks.Count; i++)
        {
            searches[i] = Search(db, tenant, chunks[i].Vector, bound, withAttributes, FirstCount);
        }

        return searches;
    }

    /// <summary>
    /// How many watches the first search of a passage asks for. VSIM explores at least COUNT candidates
    /// (its EF is raised to COUNT), so asking for all <see cref="WatchOptions.MaxMatchesPerPassage"/> at once
    /// would ignore a lower <see cref="WatchOptions.SearchEf"/>; a passage that fills this first answer
    /// is searched again for all of them (<see cref="NotifyMatchesAsync"/>).
    /// </summary>
    private int FirstCount => Math.Min(options.Value.MaxMatchesPerPassage, options.Value.SearchEf);

    private Task<Lease<VectorSetSimilaritySearchResult>?> Search(IDatabase db, string tenant, ReadOnlyMemory<float> vector, double bound, bool withAttributes, int count)
    {
        var settings = options.Value;
        var request = VectorSetSimilaritySearchRequest.ByVector(vector);
        request.Count = count;
        request.SearchExplorationFactor = settings.SearchEf;
        request.WithScores = true;
        request.WithAttributes = withAttributes;
        // On Redis's main thread: a threaded VSIM starts a thread per call and blocks the connection
        // behind it; measured on 10,000 watches, it cost Redis twice the processor time per passage,
        // and its main thread alone as much as NOTHREAD does (docs/benchmarks.md, "Watches").
        request.DisableThreading = true;
        // A hair wider than the bound, so rounding never drops a watch exactly at its threshold.
        request.Epsilon = Math.Min(1, 1 - bound + 1e-6);
        return db.VectorSetSimilaritySearchAsync(keys.WatchSet(tenant), request);
    }

    private async Task<WatchMatchReport> NotifyMatchesAsync(
        IDatabase db, IndexedDocument document, string? eventId, IReadOnlyList<IndexedChunk> chunks,
        Task<Lease<VectorSetSimilaritySearchResult>?>[] searches, Func<int, Task<Lease<VectorSetSimilaritySearchResult>?>> searchAll,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Per notify_to stream: the script's arguments after its three fixed ones (one call per stream).
        var byStream = new Dictionary<string, List<RedisValue>>(StringComparer.Ordinal);
        var matched = 0;
        var fieldsPerNotification = 0;
        var tags = string.Join(',', document.Tags);
        var at = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < chunks.Count; i++)
        {
            var first = await searches[i].WaitAsync(cancellationToken);
            if (first is not null && first.Length == FirstCount && FirstCount < options.Value.MaxMatchesPerPassage)
            {
                first.Dispose();
                first = await searchAll(i).WaitAsync(cancellationToken);
            }

            using var found = first;
            if (found is null)
            {
                continue;
            }

            for (var j = 0; j < found.Length; j++)
            {
                var hit = found.Span[j];
                var attributes = hit.AttributesJson ?? (string?)await db.VectorSetGetAttributesJsonAsync(keys.WatchSet(document.Tenant), hit.Member).WaitAsync(cancellationToken);
                if (attributes is null || !WatchAttributes.Accepts(attributes, hit.Score, document, now, out var notifyTo))
                {
                    continue;
                }

                if (!byStream.TryGetValue(notifyTo, out var args))
                {
                    byStream[notifyTo] = args = [];
                }

                var watchId = (string)hit.Member!;
                var chunk = chunks[i];
                matched++;
                RedisValue[] entry =
                [
                    string.Create(CultureInfo.InvariantCulture, $"{watchId}|{document.Id}|{document.Version}|{chunk.Index}"),
                    WatchNotificationFields.ContractVersion, 1,
                    WatchNotificationFields.WatchId, watchId,
                    WatchNotificationFields.Tenant, document.Tenant,
                    WatchNotificationFields.DocumentId, document.Id,
                    WatchNotificationFields.Chunk, chunk.Index,
                    WatchNotificationFields.Score, hit.Score.ToString("R", CultureInfo.InvariantCulture),
                    WatchNotificationFields.Content, chunk.Text,
                    WatchNotificationFields.Source, document.Source,
                    WatchNotificationFields.Timestamp, document.Timestamp.ToUnixTimeMilliseconds(),
                    WatchNotificationFields.Tags, tags,
                    WatchNotificationFields.Version, document.Version,
                    WatchNotificationFields.EventId, eventId ?? "",
                    WatchNotificationFields.NotifiedAt, at,
                ];
                // Every entry has the same fields: the dedupe key, then field-value pairs.
                fieldsPerNotification = (entry.Length - 1) / 2;
                args.AddRange(entry);
            }
        }

        var settings = options.Value;
        var dedupeSeconds = (long)settings.DedupeRetention.TotalSeconds;
        var calls = byStream.Select(s => db.ScriptEvaluateAsync(NotifyScript, [s.Key, keys.WatchNotified(s.Key)],
            [settings.NotifyMaxLength, dedupeSeconds, fieldsPerNotification, .. s.Value])).ToArray();
        var appended = 0;
        foreach (var call in calls)
        {
            appended += (int)await call.WaitAsync(cancellationToken);
        }

        return new WatchMatchReport(matched, appended);
    }
}
