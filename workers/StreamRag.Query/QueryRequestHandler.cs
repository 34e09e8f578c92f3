using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Generation;
using StreamRag.Index;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Query;

/// <summary>
/// Answers query requests: every entry gets exactly one reply on its reply channel — results, or a
/// structured error — except one without a usable reply channel, which is dead-lettered because
/// nobody could hear the error. Entries of a batch are answered concurrently.
/// </summary>
internal sealed partial class QueryRequestHandler(
    IVectorIndex index,
    IPartitionMetadata metadata,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    QueryEmbedder queryEmbedder,
    RedisConnections connections,
    KeySchema keys,
    ContractLimits limits,
    LiveSettings live,
    QueryCache cache,
    Reranker reranker,
    QueryMetrics metrics,
    IAnswerGenerator answers,
    IOptions<IndexOptions> indexOptions,
    TimeProvider time,
    ILogger<QueryRequestHandler> logger) : IStreamEntryHandler
{
    private readonly QueryRequestParser parser = new(limits);

    public Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken) =>
        Task.WhenAll(entries.Select(e => HandleOneAsync(e, cancellationToken)));

    /// <summary>Runs the embed and search paths once before the first request, so it does not pay for JIT and connecting.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            var vector = await queryEmbedder.EmbedAsync("warm up", cancellationToken);
            await index.SearchAsync(new VectorQuery(DocumentEventParser.DefaultTenant, vector, 1, QueryFilters.None, null), cancellationToken);
            // On a reply channel of the fleet's own namespace: an ACL user may publish nowhere else (deploy/users.acl).
            await (await connections.GetSharedAsync()).GetSubscriber().PublishAsync(keys.ReplyChannel("warm-up"), "");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or DimensionMismatchException)
        {
            Log.WarmUpFailed(logger, ex);
        }
    }

    private async Task<EntryOutcome> HandleOneAsync(StreamEntry entry, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        // Unknown (null) for an id whose time is past year 9999: such a request is answered all the same.
        var queueMs = StreamEntries.AgeOf(entry.Id, time.GetUtcNow())?.TotalMilliseconds;
        var parsed = parser.Parse(entry.RawFields());
        // A child of the caller's span when the request carries a traceparent; else a new trace.
        using var span = StreamRagTelemetry.Source.StartActivity(SpanNames.Query, ActivityKind.Consumer, parsed.TraceParent ?? default);
        span?.SetTag(SpanAttributes.RequestId, parsed.RequestId);
        // The reply names the trace even when this worker records no span: the caller's own trace id.
        var traceId = (span?.TraceId ?? parsed.TraceParent?.TraceId)?.ToHexString();
        if (parsed.ReplyTo is null)
        {
            span?.SetStatus(ActivityStatusCode.Error, ErrorCodes.MissingField);
            return EntryOutcome.DeadLetter($"{ErrorCodes.MissingField}: no usable reply_to, so no reply can be sent ({parsed.Error?.Message ?? "missing"})");
        }

        QueryReply reply;
        var answered = new AnsweredQuery(parsed.Request, 0, null, null);
        try
        {
            if (parsed.Request is not { } request)
            {
                reply = QueryReply.Failure(parsed.RequestId ?? "", parsed.Error!.Code, parsed.Error.Message, Timings(queueMs, 0, 0, started));
            }
            else if (request.Deadline is { } deadline && deadline <= time.GetUtcNow())
            {
                reply = QueryReply.Failure(request.RequestId, ErrorCodes.DeadlineExceeded,
                    $"the deadline passed {(time.GetUtcNow() - deadline).TotalMilliseconds:0} ms before the request was taken up; the work was skipped",
                    Timings(queueMs, 0, 0, started));
            }
            else
            {
                var ef = request.Ef ?? live.SearchEf ?? indexOptions.Value.DefaultEf;
                (reply, var vector, var vectorCandidates) = await AnswerAsync(request, ef, queueMs, started, cancellationToken);
                answered = new AnsweredQuery(request, ef, vector, vectorCandidates);
            }
        }
        catch (Exception ex) when (RedisErrors.IsTransient(ex))
        {
            // Nothing was published: the entry stays pending and is retried.
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return EntryOutcome.Retry(ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Anything else would fail again (or, for a provider outage, fail until the caller's
            // deadline): tell the caller now, with a code it can act on, rather than retry.
            var (code, message) = FailureOf(ex, parsed.RequestId);
            reply = QueryReply.Failure(parsed.RequestId ?? "", code, message, Timings(queueMs, 0, 0, started));
            answered = default;
        }

        return await ReplyAsync(parsed, reply, answered, span, traceId);
    }

    /// <summary>What an answered request's metrics need beyond its reply.</summary>
    private readonly record struct AnsweredQuery(QueryRequest? Request, int Ef, ReadOnlyMemory<float>? Vector, IReadOnlyList<string>? VectorCandidates);

    /// <summary>The error code and message a caller gets for a request that failed with <paramref name="ex"/>.</summary>
    private (string Code, string Message) FailureOf(Exception ex, string? requestId)
    {
        switch (ex)
        {
            case DimensionMismatchException:
                return (ErrorCodes.InvalidField, $"vector: {ex.Message}");
            case EmbeddingInputTooLongException:
                // Never truncated: a cut question would be answered as if it were whole.
                return (ErrorCodes.TooLarge, $"query: {ex.Message}");
            case EmbeddingProviderUnavailableException or EmbeddingProviderMisconfiguredException:
                Log.Failed(logger, ex, requestId);
                return (ErrorCodes.Unavailable, $"the embedding provider is unavailable; retry later ({ex.Message})");
            default:
                Log.Failed(logger, ex, requestId);
                return (ErrorCodes.Internal, $"the query failed: {ex.Message}");
        }
    }

    /// <summary>
    /// The one way every reply (answer or error) leaves: published, then traced, counted and acknowledged; a
    /// transient publish failure keeps the entry for a retry, a refused channel dead-letters it.
    /// </summary>
    private async Task<EntryOutcome> ReplyAsync(ParsedQueryRequest parsed, QueryReply reply, AnsweredQuery answered, Activity? span, string? traceId)
    {
        try
        {
            await PublishAsync(parsed.ReplyTo!, reply, traceId);
        }
        catch (Exception ex) when (RedisErrors.IsTransient(ex))
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return EntryOutcome.Retry(ex.Message);
        }
        catch (RedisServerException ex)
        {
            return Undeliverable(parsed.ReplyTo!, ex);
        }

        if (span is not null)
        {
            span.SetTag(SpanAttributes.Tenant, parsed.Request?.Tenant);
            span.SetTag(SpanAttributes.Cache, reply.Cache);
            if (reply.Error is { } error)
            {
                span.SetStatus(ActivityStatusCode.Error, error.Code);
            }
        }

        metrics.Record(reply, answered.Request, answered.Ef, answered.Vector, answered.VectorCandidates);
        Log.Answered(logger, reply.Id, reply.Status, reply.Results.Count, reply.Timings.TotalMs);
        return EntryOutcome.Ack;
    }

    /// <summary>
    /// The server refuses to publish on the reply channel (e.g. NOPERM: the ACL user of this worker
    /// may not publish there). That will never pass, and nobody can hear an error: dead-letter it,
    /// instead of failing the whole batch again and again.
    /// </summary>
    private static EntryOutcome Undeliverable(string channel, RedisServerException ex) =>
        EntryOutcome.DeadLetter($"{ErrorCodes.InvalidField}: the reply could not be published on reply_to '{DocumentEventParser.Truncate(channel)}' ({ex.Message}), so no reply can be sent");

    /// <returns>The reply, the query vector, and the pure vector-search candidates when the results are exactly those (no text fusion, no re-ranking).</returns>
    private async Task<(QueryReply Reply, ReadOnlyMemory<float> Vector, IReadOnlyList<string>? VectorCandidates)> AnswerAsync(QueryRequest request, int ef, double? queueMs, long started, CancellationToken cancellationToken)
    {
        // The epoch read goes out first and overlaps the embedding.
        var epoch = cache.Enabled ? metadata.GetEpochAsync(request.Tenant, cancellationToken) : Task.FromResult(0L);
        var embedStart = time.GetTimestamp();
        var vector = request.Vector ?? await EmbedQueryAsync(request.Query, cancellationToken);
        var embedMs = time.GetElapsedTime(embedStart).TotalMilliseconds;

        string? shape = null;
        var normalized = "";
        if (cache.Enabled)
        {
            shape = QueryCache.Shape(request, ef, await epoch);
            normalized = request.Vector is { } given ? QueryCache.VectorKey(given.Span) : QueryCache.Normalize(request.Query);
            if (cache.Find(shape, normalized, vector.Span) is { } hit)
            {
                return (new QueryReply(1, request.RequestId, QueryReply.StatusOk, hit.Results, hit.Answer, null, Timings(queueMs, embedMs, 0, started), "hit"), vector, null);
            }
        }

        var searchStart = time.GetTimestamp();
        var text = request.Query.Length > 0 ? request.Query : null;
        var rerank = reranker.ModeFor(request.Query);
        IReadOnlyList<SearchHit> hits;
        using (StreamRagTelemetry.Source.StartActivity(SpanNames.Search))
        {
            hits = await index.SearchAsync(new VectorQuery(request.Tenant, vector, reranker.Candidates(request.K, rerank), request.Filters, ef, Text: text), cancellationToken);
        }

        // Without a question text (an engine may fuse it with a text search) and without re-ranking,
        // the results are the graph search's own top k: the recall sample can take them as they are.
        var vectorCandidates = text is null && rerank == RerankMode.None ? hits.Select(h => $"{h.DocumentId}#{h.Chunk}").ToArray() : null;
        var results = (IReadOnlyList<QueryResult>)hits.Select(h => new QueryResult(h.DocumentId, h.Chunk, h.Score, h.Content, h.Source, h.Timestamp, h.Tags)).ToArray();
        using (rerank == RerankMode.None ? null : StreamRagTelemetry.Source.StartActivity(SpanNames.Rerank))
        {
            results = rerank switch
            {
                RerankMode.Fusion => reranker.Fuse(results, request.K),
                RerankMode.Mmr => reranker.Diversify(results, await EmbedAllAsync(results, cancellationToken), request.K),
                RerankMode.Lexical => reranker.Lexical(request.Query, results, request.K),
                _ => results,
            };
        }

        var searchMs = time.GetElapsedTime(searchStart).TotalMilliseconds;

        var answer = request.Mode == QueryMode.Answer ? await AnswerAsync(request.Query, results, cancellationToken) : null;
        if (shape is not null)
        {
            cache.Store(shape, normalized, vector, new CachedAnswer(results, answer));
        }

        return (new QueryReply(1, request.RequestId, QueryReply.StatusOk, results, answer, null, Timings(queueMs, embedMs, searchMs, started), "miss"), vector, vectorCandidates);
    }

    private async Task<ReadOnlyMemory<float>> EmbedQueryAsync(string query, CancellationToken cancellationToken)
    {
        using var span = StreamRagTelemetry.Source.StartActivity(SpanNames.Embed);
        return await queryEmbedder.EmbedAsync(query, cancellationToken);
    }

    private async Task<IReadOnlyList<ReadOnlyMemory<float>>> EmbedAllAsync(IReadOnlyList<QueryResult> results, CancellationToken cancellationToken)
    {
        var embeddings = await embedder.GenerateAsync(results.Select(r => r.Content), cancellationToken: cancellationToken);
        return embeddings.Select(e => e.Vector).ToArray();
    }

    /// <summary>Extractive by default (the best passages, cited); generated by a chat model when one is configured.</summary>
    private async Task<QueryAnswer> AnswerAsync(string question, IReadOnlyList<QueryResult> results, CancellationToken cancellationToken)
    {
        using var span = StreamRagTelemetry.Source.StartActivity(SpanNames.Generate);
        var answer = await answers.GenerateAsync(question, results.Select(r => new AnswerPassage($"{r.Id}#{r.Chunk}", r.Content)).ToArray(), cancellationToken);
        return new QueryAnswer(answer.Text, answer.Citations);
    }

    private QueryTimings Timings(double? queueMs, double embedMs, double searchMs, long started) =>
        new(queueMs is { } q ? Math.Round(q, 3) : null, Math.Round(embedMs, 3), Math.Round(searchMs, 3), Math.Round((queueMs ?? 0) + time.GetElapsedTime(started).TotalMilliseconds, 3));

    private async Task PublishAsync(string channel, QueryReply reply, string? traceId)
    {
        using var span = StreamRagTelemetry.Source.StartActivity(SpanNames.Publish, ActivityKind.Producer);
        var json = JsonSerializer.SerializeToUtf8Bytes(reply with { TraceId = traceId }, ContractJsonContext.Default.QueryReply);
        var redis = await connections.GetSharedAsync();
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), json);
    }

    private static partial class Log
    {
        [LoggerMessage(5000, LogLevel.Debug, "Answered {Id}: {Status}, {Count} results, {TotalMs} ms")]
        public static partial void Answered(ILogger logger, string id, string status, int count, double totalMs);

        [LoggerMessage(5002, LogLevel.Error, "Query {Id} failed")]
        public static partial void Failed(ILogger logger, Exception ex, string? id);

        [LoggerMessage(5001, LogLevel.Warning, "Warm-up failed; the first requests will be slower")]
        public static partial void WarmUpFailed(ILogger logger, Exception ex);
    }
}
