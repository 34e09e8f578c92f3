using System.Diagnostics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Query;

/// <summary>
/// The query path for one batch of requests, each answered concurrently: parse → access
/// (<see cref="RequestAccess"/>: tokens, reply namespace) → (deadline) → embed →
/// search → rerank → answer (<see cref="QueryAnswerer"/>, Steps/) → reply (<see cref="ReplyPublisher"/>).
/// Every entry gets exactly one reply on its reply channel — results, or a structured error — except
/// one without a usable reply channel, which is dead-lettered because nobody could hear the error.
/// </summary>
internal sealed partial class QueryRequestHandler(
    ContractLimits limits,
    LiveSettings live,
    IOptions<IndexOptions> indexOptions,
    RequestAccess access,
    QueryAnswerer answerer,
    WatchRegistrar watches,
    ReplyPublisher replies,
    TimeProvider time,
    ILogger<QueryRequestHandler> logger) : IStreamEntryHandler
{
    private readonly QueryRequestParser parser = new(limits);

    public Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken) =>
        Task.WhenAll(entries.Select(e => HandleOneAsync(e, cancellationToken)));

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

        var decision = await access.CheckAsync(parsed);
        if (decision.DeadLetter is { } undeliverable)
        {
            span?.SetStatus(ActivityStatusCode.Error, ErrorCodes.Unauthorized);
            return EntryOutcome.DeadLetter(undeliverable);
        }

        QueryReply reply;
        var answered = new AnsweredQuery(parsed.Request, 0, null, null);
        try
        {
            if (parsed.Request is not { } request)
            {
                reply = QueryReply.Failure(parsed.RequestId ?? "", parsed.Error!.Code, parsed.Error.Message, ReplyTimings.Of(time, queueMs, 0, 0, started));
            }
            else if (decision.Refusal is { } refusal)
            {
                reply = QueryReply.Failure(request.RequestId, ErrorCodes.Unauthorized, refusal, ReplyTimings.Of(time, queueMs, 0, 0, started));
            }
            else if (request.Deadline is { } deadline && deadline <= time.GetUtcNow())
            {
                reply = QueryReply.Failure(request.RequestId, ErrorCodes.DeadlineExceeded,
                    $"the deadline passed {(time.GetUtcNow() - deadline).TotalMilliseconds:0} ms before the request was taken up; the work was skipped",
                    ReplyTimings.Of(time, queueMs, 0, 0, started));
            }
            else if (request.Mode is QueryMode.Watch or QueryMode.Unwatch)
            {
                reply = await watches.HandleAsync(request, entry.Id.ToString(), queueMs, started, cancellationToken);
            }
            else
            {
                var ef = request.Ef ?? live.SearchEf ?? indexOptions.Value.DefaultEf;
                (reply, var vector, var vectorCandidates) = await answerer.AnswerAsync(request, ef, queueMs, started, cancellationToken);
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
            reply = QueryReply.Failure(parsed.RequestId ?? "", code, message, ReplyTimings.Of(time, queueMs, 0, 0, started));
            answered = default;
        }

        return await replies.ReplyAsync(parsed, reply, answered, span, traceId, cancellationToken);
    }

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

    private static partial class Log
    {
        [LoggerMessage(5002, LogLevel.Error, "Query {Id} failed")]
        public static partial void Failed(ILogger logger, Exception ex, string? id);
    }
}
