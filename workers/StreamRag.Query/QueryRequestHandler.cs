using System.Text.Json;
using Microsoft.Extensions.AI;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Query;

/// <summary>
/// Answers query requests: every entry gets exactly one reply on its reply channel — results, or a
/// structured error — except one without a usable reply channel, which is dead-lettered because
/// nobody could hear the error. Entries of a batch are answered concurrently.
/// </summary>
internal sealed partial class QueryRequestHandler(
    IVectorIndex index,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    RedisConnections connections,
    ContractLimits limits,
    TimeProvider time,
    ILogger<QueryRequestHandler> logger) : IStreamEntryHandler
{
    private readonly QueryRequestParser parser = new(limits);

    public Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken) =>
        Task.WhenAll(entries.Select(e => HandleOneAsync(e, cancellationToken)));

    private async Task<EntryOutcome> HandleOneAsync(StreamEntry entry, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var queueMs = Math.Max(0, (time.GetUtcNow() - StreamEntries.TimeOf(entry.Id)).TotalMilliseconds);
        var parsed = parser.Parse(entry.RawFields());
        if (parsed.ReplyTo is null)
        {
            return EntryOutcome.DeadLetter($"{ErrorCodes.MissingField}: no usable reply_to, so no reply can be sent ({parsed.Error?.Message ?? "missing"})");
        }

        try
        {
            QueryReply reply;
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
                reply = await AnswerAsync(request, queueMs, started, cancellationToken);
            }

            await PublishAsync(parsed.ReplyTo, reply);
            Log.Answered(logger, reply.Id, reply.Status, reply.Results.Count, reply.Timings.TotalMs);
            return EntryOutcome.Ack;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Nothing was published: the entry stays pending and is retried.
            return EntryOutcome.Retry(ex.Message);
        }
    }

    private async Task<QueryReply> AnswerAsync(QueryRequest request, double queueMs, long started, CancellationToken cancellationToken)
    {
        var embedStart = time.GetTimestamp();
        var vector = await embedder.GenerateVectorAsync(request.Query, cancellationToken: cancellationToken);
        var embedMs = time.GetElapsedTime(embedStart).TotalMilliseconds;

        var searchStart = time.GetTimestamp();
        var hits = await index.SearchAsync(new VectorQuery(request.Tenant, vector, request.K, request.Filters, request.Ef, Text: request.Query), cancellationToken);
        var searchMs = time.GetElapsedTime(searchStart).TotalMilliseconds;

        var results = hits.Select(h => new QueryResult(h.DocumentId, h.Chunk, h.Score, h.Content, h.Source, h.Timestamp, h.Tags)).ToArray();
        var answer = request.Mode == QueryMode.Answer ? ExtractiveAnswer(results) : null;
        return new QueryReply(1, request.RequestId, QueryReply.StatusOk, results, answer, null, Timings(queueMs, embedMs, searchMs, started), "miss");
    }

    /// <summary>The offline answer: the best passages themselves, each cited by <c>doc#chunk</c>.</summary>
    private static QueryAnswer ExtractiveAnswer(IReadOnlyList<QueryResult> results)
    {
        var top = results.Take(3).ToArray();
        var text = top.Length == 0
            ? "No indexed passage matches the question."
            : string.Join("\n\n", top.Select(r => $"{r.Content} [{r.Id}#{r.Chunk}]"));
        return new QueryAnswer(text, top.Select(r => $"{r.Id}#{r.Chunk}").ToArray());
    }

    private QueryTimings Timings(double queueMs, double embedMs, double searchMs, long started) =>
        new(Math.Round(queueMs, 3), Math.Round(embedMs, 3), Math.Round(searchMs, 3), Math.Round(queueMs + time.GetElapsedTime(started).TotalMilliseconds, 3));

    private async Task PublishAsync(string channel, QueryReply reply)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(reply, ContractJsonContext.Default.QueryReply);
        var redis = await connections.GetSharedAsync();
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), json);
    }

    private static partial class Log
    {
        [LoggerMessage(4000, LogLevel.Debug, "Answered {Id}: {Status}, {Count} results, {TotalMs} ms")]
        public static partial void Answered(ILogger logger, string id, string status, int count, double totalMs);
    }
}
