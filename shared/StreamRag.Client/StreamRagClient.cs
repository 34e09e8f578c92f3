using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Client;

/// <summary>
/// The .NET client of the wire contract. <c>QueryAsync</c> subscribes to this client's reply
/// channel once (before the first request is posted, so no reply can be missed), posts the request
/// to the stream and completes when the first reply with the same request id arrives, posting the
/// request again while none does (<see cref="QueryOptions.RepostAfter"/>, StreamRagClient.Retry.cs).
/// Replies come on the tenant's own channel (<see cref="KeySchema.TenantReplyChannel"/>), one
/// subscription per tenant asked, so a per-tenant ACL user can hear them (docs/security.md). With partitioned
/// streams (<see cref="KeySchema.StreamPartitions"/>), a document's events go to its partition
/// (<see cref="KeySchema.StreamPartitionOf"/>, so they stay in order) and queries to the partitions
/// in turn; before its first write the client checks its number of partitions against the index
/// manifest and refuses to write into partitions no worker reads.
/// </summary>
public sealed partial class StreamRagClient : IAsyncDisposable
{
    private readonly IConnectionMultiplexer redis;
    private readonly KeySchema keys;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly string clientId = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, TaskCompletionSource<QueryReply>> waiting = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim subscribeLock = new(1, 1);
    private readonly bool ownsConnection;
    private readonly ReplicaAcknowledgement replicas;
    private readonly ConcurrentDictionary<string, ChannelMessageQueue> subscriptions = new(StringComparer.Ordinal);
    private int nextQueryPartition = -1;
    private volatile bool partitionsChecked;

    /// <param name="ownsConnection">Dispose <paramref name="redis"/> with this client.</param>
    /// <param name="replicas">Replicas that must confirm a document event before the call returns (<c>Redis:WaitForReplicas</c>); none by default.</param>
    public StreamRagClient(IConnectionMultiplexer redis, KeySchema keys, TimeProvider? time = null, ILogger<StreamRagClient>? logger = null, bool ownsConnection = false, ReplicaAcknowledgement? replicas = null)
    {
        this.replicas = replicas ?? ReplicaAcknowledgement.None;
        this.ownsConnection = ownsConnection;
        this.redis = redis;
        this.keys = keys;
        this.time = time ?? TimeProvider.System;
        this.logger = logger ?? NullLogger<StreamRagClient>.Instance;
    }

    /// <summary>The pub/sub channel this client's replies to queries in <paramref name="tenant"/> arrive on.</summary>
    public RedisChannel ReplyChannelOf(string tenant) => keys.TenantReplyChannel(tenant, clientId);

    /// <summary>
    /// The signed tenant token sent with every query and document event that does not carry its own
    /// (<see cref="QueryOptions.Token"/>, <see cref="DocumentUpsert.Token"/>); none when null.
    /// </summary>
    public string? Token { get; init; }

    public Task<QueryReply> QueryAsync(string query, QueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        return SendQueryAsync(query, null, options ?? new QueryOptions(), cancellationToken);
    }

    /// <summary>Searches with a ready vector (of the index's dimension) instead of text.</summary>
    public Task<QueryReply> QueryAsync(ReadOnlyMemory<float> vector, QueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (vector.IsEmpty)
        {
            throw new ArgumentException("the vector is empty", nameof(vector));
        }

        return SendQueryAsync("", vector, options ?? new QueryOptions(), cancellationToken);
    }

    private async Task<QueryReply> SendQueryAsync(string query, ReadOnlyMemory<float>? vector, QueryOptions options, CancellationToken cancellationToken)
    {
        if (new QueryOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            throw new ArgumentException($"invalid query options: {invalid.FailureMessage}", nameof(options));
        }

        var replyChannel = await EnsureSubscribedAsync(options.Tenant);

        var requestId = Guid.NewGuid().ToString("N");
        var reply = new TaskCompletionSource<QueryReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting[requestId] = reply;
        try
        {
            var deadline = time.GetUtcNow() + options.Timeout;
            var fields = new List<NameValueEntry>
            {
                new(QueryRequestFields.ContractVersion, 1),
                new(QueryRequestFields.RequestId, requestId),
                new(QueryRequestFields.Query, query),
                new(QueryRequestFields.Vector, vector is { } v ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.Span).ToArray() : RedisValue.Null),
                new(QueryRequestFields.K, options.K),
                new(QueryRequestFields.ReplyTo, replyChannel.ToString()),
                new(QueryRequestFields.Deadline, deadline.ToUnixTimeMilliseconds()),
                new(QueryRequestFields.Tenant, options.Tenant),
                new(QueryRequestFields.Mode, options.Mode == QueryMode.Answer ? "answer" : "search"),
                // The caller's span, if any: the query worker's spans continue its trace.
                new(QueryRequestFields.TraceParent, TraceParent.Of(Activity.Current) ?? RedisValue.Null),
                new(QueryRequestFields.Token, options.Token ?? Token),
            };
            fields.RemoveAll(f => f.Value.IsNull);
            if (options.Ef is { } ef)
            {
                fields.Add(new(QueryRequestFields.Ef, ef));
            }

            if (!options.Filters.IsEmpty)
            {
                fields.Add(new(QueryRequestFields.Filters, QueryFilterJson.Write(options.Filters)));
            }

            return await PostUntilAnsweredAsync(requestId, fields.ToArray(), reply.Task, options, cancellationToken);
        }
        finally
        {
            waiting.TryRemove(requestId, out _);
        }
    }

    private async Task<RedisChannel> EnsureSubscribedAsync(string tenant)
    {
        var channel = ReplyChannelOf(tenant);
        if (subscriptions.ContainsKey(tenant))
        {
            return channel;
        }

        await subscribeLock.WaitAsync();
        try
        {
            if (!subscriptions.ContainsKey(tenant))
            {
                var queue = await redis.GetSubscriber().SubscribeAsync(channel);
                queue.OnMessage(OnReply);
                subscriptions[tenant] = queue;
            }
        }
        finally
        {
            subscribeLock.Release();
        }

        return channel;
    }

    private void OnReply(ChannelMessage message)
    {
        QueryReply? reply;
        try
        {
            reply = JsonSerializer.Deserialize((string?)message.Message ?? "", ContractJsonContext.Default.QueryReply);
        }
        catch (JsonException ex)
        {
            ClientLog.BadReply(logger, ex);
            return;
        }

        if (reply is null)
        {
            return;
        }

        // The first reply to an id wins: a re-posted request is answered once per posting.
        if (waiting.TryRemove(reply.Id, out var pending))
        {
            pending.TrySetResult(reply);
        }
        else
        {
            ClientLog.UnexpectedReply(logger, reply.Id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in subscriptions.Values)
        {
            await subscription.UnsubscribeAsync();
        }

        foreach (var pending in waiting.Values)
        {
            pending.TrySetCanceled();
        }

        subscribeLock.Dispose();
        if (ownsConnection)
        {
            await redis.DisposeAsync();
        }
    }
}
