using System.Diagnostics;
using System.Text.Json;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Query;

/// <summary>
/// The reply step, the one way every reply (answer or error) leaves: published on the request's
/// channel, then traced, counted and acknowledged; a transient publish failure keeps the entry for a
/// retry, a refused channel dead-letters it.
/// </summary>
internal sealed partial class ReplyPublisher(RedisConnections connections, QueryMetrics metrics, ILogger<ReplyPublisher> logger)
{
    public async Task<EntryOutcome> ReplyAsync(ParsedQueryRequest parsed, QueryReply reply, AnsweredQuery answered, Activity? span, string? traceId)
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
    }
}

/// <summary>What an answered request's metrics need beyond its reply.</summary>
internal readonly record struct AnsweredQuery(QueryRequest? Request, int Ef, ReadOnlyMemory<float>? Vector, IReadOnlyList<string>? VectorCandidates);
