using System.Globalization;
using System.Runtime.CompilerServices;
using StackExchange.Redis;
using StreamRag.Contracts;

namespace StreamRag.Client;

/// <summary>Standing queries: register a watch, read its notifications as they arrive, remove it.</summary>
public sealed partial class StreamRagClient
{
    /// <summary>How long the reader waits before it asks the notification stream again after finding nothing new.</summary>
    private static readonly TimeSpan NotificationPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Registers a standing query (unless <see cref="WatchQueryOptions.WatchId"/> resumes one) and yields
    /// its notifications as they arrive, until cancelled. The notifications are read from the watch's
    /// stream after <see cref="WatchQueryOptions.After"/> (or from the moment of registration), so a
    /// process that restarts with the last <see cref="WatchNotification.StreamId"/> it handled misses
    /// nothing the stream still holds. The stream is durable; the watch itself ends at its ttl.
    /// </summary>
    /// <exception cref="WatchException">The registration was refused (e.g. <c>watch_limit</c>).</exception>
    public async IAsyncEnumerable<WatchNotification> WatchAsync(string question, WatchQueryOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var db = redis.GetDatabase();
        string watchId, notifyTo, after;
        if (options.WatchId is { } resumed)
        {
            watchId = resumed;
            notifyTo = options.NotifyTo ?? throw new ArgumentException("resuming a watch needs its NotifyTo", nameof(options));
            after = options.After ?? "0-0";
        }
        else
        {
            var requestId = Guid.NewGuid().ToString("N");
            notifyTo = NotifyToOf(options, requestId);
            // Everything appended from here on may be this watch's: read after the stream's last entry now.
            after = options.After ?? await LastIdAsync(db, notifyTo);
            watchId = (await RegisterWatchAsync(requestId, question, options with { NotifyTo = notifyTo }, cancellationToken)).Id;
        }

        if (options.ConsumerGroup is { } group)
        {
            await foreach (var notification in ReadWithGroupAsync(notifyTo, watchId, group, options.Consumer, after, cancellationToken))
            {
                yield return notification;
            }

            yield break;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var entries = await ReadNotificationsAsync(notifyTo, after, cancellationToken);
            foreach (var entry in entries)
            {
                after = entry.Id!;
                var notification = ToNotification(entry);
                if (notification.WatchId == watchId)
                {
                    yield return notification;
                }
            }
        }
    }

    /// <summary>Registers a standing query and returns its confirmation (id, stream, expiry) without reading notifications.</summary>
    /// <exception cref="WatchException">The registration was refused.</exception>
    public Task<WatchConfirmation> RegisterWatchAsync(string question, WatchQueryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var requestId = Guid.NewGuid().ToString("N");
        return RegisterWatchAsync(requestId, question, options with { NotifyTo = NotifyToOf(options, requestId) }, cancellationToken);
    }

    /// <summary>The stream a watch notifies: the one asked for, else one of its own in the tenant's namespace.</summary>
    private string NotifyToOf(WatchQueryOptions options, string requestId) =>
        options.NotifyTo ?? keys.TenantWatchStreamPrefix(options.Tenant) + requestId;

    /// <summary>Removes a watch; false when the tenant has no live watch of that id (removed or expired already).</summary>
    /// <param name="token">A signed tenant token granting the tenant <c>query</c>; the client's <see cref="Token"/> when null.</param>
    public async Task<bool> UnwatchAsync(string watchId, string? tenant = null, string? token = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(watchId);
        var reply = await SendWatchRequestAsync(Guid.NewGuid().ToString("N"), TimeSpan.FromSeconds(10), tenant ?? DocumentEventParser.DefaultTenant, token,
        [
            new(QueryRequestFields.Mode, "unwatch"),
            new(QueryRequestFields.WatchId, watchId),
            new(QueryRequestFields.Tenant, tenant ?? DocumentEventParser.DefaultTenant),
        ], cancellationToken);
        return reply.Error?.Code switch
        {
            null => true,
            ErrorCodes.UnknownWatch => false,
            var code => throw new WatchException(code, reply.Error!.Message),
        };
    }

    private async Task<WatchConfirmation> RegisterWatchAsync(string requestId, string question, WatchQueryOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var fields = new List<NameValueEntry>
        {
            new(QueryRequestFields.Mode, "watch"),
            new(QueryRequestFields.Query, question),
            new(QueryRequestFields.Tenant, options.Tenant),
            new(QueryRequestFields.Threshold, options.Threshold.ToString("R", CultureInfo.InvariantCulture)),
            new(QueryRequestFields.WatchTtl, (long)Math.Ceiling(options.Ttl.TotalSeconds)),
            new(QueryRequestFields.NotifyTo, options.NotifyTo),
        };
        if (!options.Filters.IsEmpty)
        {
            fields.Add(new(QueryRequestFields.Filters, QueryFilterJson.Write(options.Filters)));
        }

        var reply = await SendWatchRequestAsync(requestId, options.Timeout, options.Tenant, options.Token, fields, cancellationToken);
        return reply.Error is { } error
            ? throw new WatchException(error.Code, error.Message)
            : reply.Watch ?? throw new WatchException(ErrorCodes.Internal, "the reply confirms no watch");
    }

    private async Task<QueryReply> SendWatchRequestAsync(string requestId, TimeSpan timeout, string tenant, string? token, List<NameValueEntry> fields, CancellationToken cancellationToken)
    {
        var replyChannel = await EnsureSubscribedAsync(tenant);
        if ((token ?? Token) is { } granted)
        {
            fields.Add(new(QueryRequestFields.Token, granted));
        }

        var reply = new TaskCompletionSource<QueryReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting[requestId] = reply;
        try
        {
            fields.Add(new(QueryRequestFields.ContractVersion, 1));
            fields.Add(new(QueryRequestFields.RequestId, requestId));
            fields.Add(new(QueryRequestFields.ReplyTo, replyChannel.ToString()));
            fields.Add(new(QueryRequestFields.Deadline, (time.GetUtcNow() + timeout).ToUnixTimeMilliseconds()));
            await PostAsync(NextQueryStream(), fields.ToArray());
            return await reply.Task.WaitAsync(timeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new QueryTimeoutException(requestId, timeout);
        }
        finally
        {
            waiting.TryRemove(requestId, out _);
        }
    }

    /// <summary>
    /// The watch's notifications through a consumer group (created at <paramref name="start"/> unless it
    /// exists): first this consumer's pending ones (handed out before a restart, never acknowledged),
    /// then new ones; each is acknowledged when the caller asks for the next.
    /// </summary>
    private async IAsyncEnumerable<WatchNotification> ReadWithGroupAsync(
        string stream, string watchId, string group, string consumer, string start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        var db = redis.GetDatabase();
        try
        {
            await db.StreamCreateConsumerGroupAsync(stream, group, start, createStream: true).WaitAsync(cancellationToken);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists: its position in Redis is where this reader resumes.
        }

        async Task AcknowledgeAsync(List<RedisValue> ids)
        {
            if (ids.Count > 0)
            {
                await db.StreamAcknowledgeAsync(stream, group, ids.ToArray()).WaitAsync(cancellationToken);
                ids.Clear();
            }
        }

        // "0": this consumer's pending entries, then ">": entries no one in the group was handed yet.
        // Not XREADGROUP BLOCK: the multiplexed connection is shared (see ReadNotificationsAsync).
        RedisValue position = "0";
        while (!cancellationToken.IsCancellationRequested)
        {
            var entries = await db.StreamReadGroupAsync(stream, group, consumer, position, count: 100).WaitAsync(cancellationToken);
            if (entries.Length == 0)
            {
                if (position == StreamPosition.NewMessages)
                {
                    await Task.Delay(NotificationPoll, time, cancellationToken);
                }

                position = StreamPosition.NewMessages;
                continue;
            }

            // Entries that are not this watch's (another watch's, or trimmed) are acknowledged together,
            // before the next notification is handed out and at the end of the read.
            var skipped = new List<RedisValue>();
            foreach (var entry in entries)
            {
                position = position == StreamPosition.NewMessages ? position : entry.Id;
                // A pending entry trimmed from the stream since comes back without fields.
                var notification = entry.IsNull || entry.Values.Length == 0 ? null : ToNotification(entry);
                if (notification?.WatchId != watchId)
                {
                    skipped.Add(entry.Id);
                    continue;
                }

                await AcknowledgeAsync(skipped);
                yield return notification;
                await db.StreamAcknowledgeAsync(stream, group, entry.Id).WaitAsync(cancellationToken);
            }

            await AcknowledgeAsync(skipped);
        }
    }

    private static async Task<string> LastIdAsync(IDatabase db, string stream)
    {
        var last = await db.StreamRangeAsync(stream, "-", "+", count: 1, messageOrder: Order.Descending);
        return last.Length == 0 ? "0-0" : last[0].Id!;
    }

    /// <summary>
    /// The next notifications after <paramref name="after"/>, waiting a moment when there are none. Polled, not
    /// a blocking XREAD: the multiplexed connection is shared, and a blocking command would stall it.
    /// </summary>
    private async Task<StreamEntry[]> ReadNotificationsAsync(string stream, string after, CancellationToken cancellationToken)
    {
        var entries = await redis.GetDatabase().StreamReadAsync(stream, after, count: 100).WaitAsync(cancellationToken);
        if (entries.Length == 0)
        {
            await Task.Delay(NotificationPoll, time, cancellationToken);
        }

        return entries;
    }

    private static WatchNotification ToNotification(StreamEntry entry)
    {
        string Field(string name) => (string?)entry[name] ?? "";
        long Number(string name) => long.TryParse(Field(name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var tags = Field(WatchNotificationFields.Tags);
        return new WatchNotification(
            entry.Id!,
            Field(WatchNotificationFields.WatchId),
            Field(WatchNotificationFields.Tenant),
            Field(WatchNotificationFields.DocumentId),
            (int)Number(WatchNotificationFields.Chunk),
            double.TryParse(Field(WatchNotificationFields.Score), NumberStyles.Float, CultureInfo.InvariantCulture, out var score) ? score : 0,
            Field(WatchNotificationFields.Content),
            Field(WatchNotificationFields.Source),
            DateTimeOffset.FromUnixTimeMilliseconds(Number(WatchNotificationFields.Timestamp)),
            tags.Length == 0 ? [] : tags.Split(','),
            Number(WatchNotificationFields.Version),
            Field(WatchNotificationFields.EventId),
            DateTimeOffset.FromUnixTimeMilliseconds(Number(WatchNotificationFields.NotifiedAt)));
    }
}
