using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Query;

/// <summary>
/// The reply step, the one way every reply (answer or error) leaves: published on the request's
/// channel, then traced, counted and acknowledged. A publish that fails for a passing reason (a
/// failover: connection lost, <c>READONLY</c>, <c>MOVED</c>) is retried in place with back-off for
/// up to <c>Query:PublishRetryWindow</c>, never past the request's deadline (then nobody waits for
/// the reply: the entry is acknowledged unanswered) nor the stopping token; past the window the entry
/// is kept for a later retry. A refused channel dead-letters it.
/// </summary>
internal sealed partial class ReplyPublisher(RedisConnections connections, QueryMetrics metrics, IOptions<QueryOptions> options, TimeProvider time, ILogger<ReplyPublisher> logger)
{
    // A PUBLISH answers in well under a millisecond when its node is up; one that takes this long
    // waits in the client's backlog for a node that is down, so it is abandoned and tried again.
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);
    // 50 ms doubling, at most 500 ms (Backoff): a failover takes seconds, a blip milliseconds.
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(500);

    public async Task<EntryOutcome> ReplyAsync(ParsedQueryRequest parsed, QueryReply reply, AnsweredQuery answered, Activity? span, string? traceId, CancellationToken cancellationToken)
    {
        if (await PublishAsync(parsed.ReplyTo!, reply, parsed.Request?.Deadline, traceId, cancellationToken) is { } failed)
        {
            span?.SetStatus(ActivityStatusCode.Error, failed.Reason);
            return failed;
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

    /// <summary>Null once published; else what becomes of the entry.</summary>
    private async Task<EntryOutcome?> PublishAsync(string channel, QueryReply reply, DateTimeOffset? deadline, string? traceId, CancellationToken cancellationToken)
    {
        using var span = StreamRagTelemetry.Source.StartActivity(SpanNames.Publish, ActivityKind.Producer);
        var json = JsonSerializer.SerializeToUtf8Bytes(reply with { TraceId = traceId }, ContractJsonContext.Default.QueryReply);
        var window = options.Value.PublishRetryWindow;
        var started = time.GetTimestamp();
        for (var failures = 0; ; )
        {
            try
            {
                var publish = PublishOnceAsync(channel, json);
                await (window > TimeSpan.Zero ? publish.WaitAsync(AttemptTimeout, time, cancellationToken) : publish);
                if (failures > 0)
                {
                    Log.PublishedAfterRetries(logger, reply.Id, failures + 1, time.GetElapsedTime(started).TotalMilliseconds);
                }

                return null;
            }
            catch (Exception ex) when (ex is TimeoutException || RedisErrors.IsTransient(ex))
            {
                if (window <= TimeSpan.Zero)
                {
                    return EntryOutcome.Retry(ex.Message);
                }

                failures++;
                var delay = Redis.Backoff.After(failures - 1, MaxBackoff);
                if (deadline is { } d && time.GetUtcNow() + delay >= d)
                {
                    // The caller stopped waiting at its deadline: a reply now would reach nobody.
                    Log.DroppedPastDeadline(logger, reply.Id, ex.Message);
                    return EntryOutcome.Ack;
                }

                if (time.GetElapsedTime(started) + delay > window || cancellationToken.IsCancellationRequested)
                {
                    Log.PublishGaveUp(logger, reply.Id, window.TotalMilliseconds, ex.Message);
                    return EntryOutcome.Retry(ex.Message);
                }

                Log.PublishRetrying(logger, reply.Id, failures, delay.TotalMilliseconds, ex.Message);
                try
                {
                    await Task.Delay(delay, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return EntryOutcome.Retry(ex.Message);
                }
            }
            catch (RedisServerException ex)
            {
                return Undeliverable(channel, ex);
            }
        }
    }

    private async Task PublishOnceAsync(string channel, byte[] json)
    {
        var redis = await connections.GetSharedAsync();
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), json);
    }

    /// <summary>
    /// The server refuses to publish on the reply channel (e.g. NOPERM: the ACL user of this worker
    /// may not publish there). That will never pass, and nobody can hear an error: dead-letter it,
    /// instead of failing the whole batch again and again.
    /// </summary>
    private static EntryOutcome Undeliverable(string channel, RedisServerException ex) =>
        EntryOutcome.DeadLetter($"{ErrorCodes.InvalidField}: the reply could not be published on reply_to '{DocumentEventParser.Truncate(channel)}' ({ex.Message}), so no reply can be sent");

    private static partial class Log
    {
        [LoggerMessage(5000, LogLevel.Debug, "Answered {Id}: {Status}, {Count} results, {TotalMs} ms")]
        public static partial void Answered(ILogger logger, string id, string status, int count, double totalMs);

        [LoggerMessage(5700, LogLevel.Debug, "Publishing the reply to {Id} failed (attempt {Attempt}): {Error}; retrying in {DelayMs:0} ms")]
        public static partial void PublishRetrying(ILogger logger, string id, int attempt, double delayMs, string error);

        [LoggerMessage(5701, LogLevel.Information, "Published the reply to {Id} at attempt {Attempts}, {ElapsedMs:0} ms after the first")]
        public static partial void PublishedAfterRetries(ILogger logger, string id, int attempts, double elapsedMs);

        [LoggerMessage(5702, LogLevel.Warning, "Could not publish the reply to {Id} within Query:PublishRetryWindow ({WindowMs:0} ms): {Error}; the request stays pending and is answered again later")]
        public static partial void PublishGaveUp(ILogger logger, string id, double windowMs, string error);

        [LoggerMessage(5703, LogLevel.Information, "Dropped the reply to {Id}: the request's deadline passed while its channel could not be published on ({Error})")]
        public static partial void DroppedPastDeadline(ILogger logger, string id, string error);
    }
}

/// <summary>What an answered request's metrics need beyond its reply.</summary>
internal readonly record struct AnsweredQuery(QueryRequest? Request, int Ef, ReadOnlyMemory<float>? Vector, IReadOnlyList<string>? VectorCandidates);
