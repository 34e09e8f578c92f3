using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.FaultTests;

/// <summary>Load, waits and checks every scenario shares.</summary>
internal static class Fleet
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Small chunks, so each document is several passages (a partial write would show), and a cheap
    /// HNSW build (these scenarios test faults, not recall; the default EF of 200 triples the time on two cores).
    /// </summary>
    public static readonly (string Key, string Value)[] SmallChunks = [("Chunking:Size", "8"), ("Chunking:Overlap", "2"), ("Index:EfConstruction", "32")];

    public static readonly TextChunker Chunker = new(8, 2);

    /// <summary>Fast reclaim, so a dead consumer's entries move on within a second or two.</summary>
    public static readonly (string Key, string Value)[] FastReclaim =
    [
        ("Consumer:ClaimIdle", "00:00:01"),
        ("Consumer:ClaimInterval", "00:00:00.250"),
        ("Consumer:BlockTimeout", "00:00:00.500"),
        ("Consumer:MaxBackoff", "00:00:00.500"),
    ];

    /// <summary>Content of document <paramref name="i"/>: ten words, so two passages with <see cref="SmallChunks"/>.</summary>
    public static string Content(int i, long version = 1) =>
        $"doc {i} v{version} bees honey hives queen colony {i % 97} pollen nectar";

    public static NameValueEntry[] Upsert(int i, long version = 1, string tenant = "default") =>
    [
        new("id", $"d{i}"), new("version", version), new("source", "wiki"), new("tenant", tenant), new("content", Content(i, version)),
    ];

    /// <summary>A connection of its own (an app's or a producer's), which keeps reconnecting when Redis goes away.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>XADDs the events pipelined, in slices, and returns their stream ids (all acknowledged by Redis).</summary>
    public static async Task<RedisValue[]> ProduceAsync(IDatabase db, RedisKey stream, IEnumerable<NameValueEntry[]> events, int slice = 1000)
    {
        var ids = new List<RedisValue>();
        foreach (var part in events.Chunk(slice))
        {
            ids.AddRange(await Task.WhenAll(part.Select(e => db.StreamAddAsync(stream, e))));
        }

        return ids.ToArray();
    }

    public static async Task<StreamGroupInfo?> GroupAsync(IDatabase db, RedisKey stream, string group)
    {
        var groups = await db.StreamGroupInfoAsync(stream);
        return groups.Any(g => g.Name == group) ? groups.First(g => g.Name == group) : null;
    }

    /// <summary>Waits until the group has read and acknowledged every entry of the stream.</summary>
    public static Task WaitDrainedAsync(IDatabase db, RedisKey stream, string group, TimeSpan timeout, Func<string>? diagnostics = null) =>
        EventuallyAsync(async () =>
        {
            var info = await GroupAsync(db, stream, group);
            return info is { PendingMessageCount: 0 } g && (g.Lag ?? 0) == 0;
        }, $"group {group} has processed every entry of {stream}", timeout, diagnostics);

    /// <summary>Polls until the condition holds; fails with the message (and diagnostics) after the timeout.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string because, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (RedisException) when (Stopwatch.GetTimestamp() < until)
            {
                // The server may be restarting: ask again.
            }

            if (Stopwatch.GetTimestamp() > until)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0} s waiting until {because}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            }

            await Task.Delay(50, Ct);
        }
    }

    /// <summary>
    /// Checks that documents d0..d(n-1) are indexed exactly once at <paramref name="version"/>: each
    /// document hash holds the version and the passage count its content makes, and the vector
    /// sets of the tenant's partitions hold exactly the passages the hashes account for (no missing,
    /// no extra, no stale chunk).
    /// </summary>
    public static async Task<(int Missing, long ExtraChunks)> CheckIndexedExactlyOnceAsync(IPartitionMetadata index, IDatabase db, KeySchema keys, int n, Func<int, long>? version = null)
    {
        var states = await Task.WhenAll(Enumerable.Range(0, n).Select(i => index.GetStateAsync("default", $"d{i}", Ct)));
        // Passages left out of the graph as the 33rd+ copy of a shared passage (Index:MaxDuplicatePassages):
        // "queen colony {i % 97} pollen nectar" is the second passage of every 97th document.
        var unlinked = await Task.WhenAll(Enumerable.Range(0, n).Select(i => db.HashGetAsync(keys.PartitionOf("default", $"d{i}").Document($"d{i}"), "unlinked")));
        var missing = 0;
        long chunks = 0;
        for (var i = 0; i < n; i++)
        {
            var v = version?.Invoke(i) ?? 1;
            var expected = Chunker.Split(Content(i, v)).Count;
            if (states[i] is not { Deleted: false } s || s.Version != v || s.Chunks != expected)
            {
                missing++;
                continue;
            }

            chunks += s.Chunks - (long)unlinked[i];
        }

        var stored = (await Task.WhenAll(keys.PartitionsOf("default").Select(p => db.VectorSetLengthAsync(p.VectorSet)))).Sum();
        return (missing, stored - chunks);
    }

    /// <summary>Seconds since a <see cref="Stopwatch.GetTimestamp"/> mark, rounded for the report.</summary>
    public static double Since(long start) => Math.Round(Stopwatch.GetElapsedTime(start).TotalSeconds, 3);

    public static double Between(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalSeconds, 3);
}

/// <summary>
/// Listens on one reply channel and keeps every reply by request id, so a test can tell unanswered,
/// answered once, and answered twice (and whether the two answers agree).
/// </summary>
internal sealed class ReplyCollector : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<JsonElement>> replies = new(StringComparer.Ordinal);
    private readonly ChannelMessageQueue subscription;
    private long lastReplyAt;
    private int total;

    private ReplyCollector(string channel, ChannelMessageQueue subscription)
    {
        Channel = channel;
        this.subscription = subscription;
    }

    public string Channel { get; }

    public static async Task<ReplyCollector> StartAsync(IConnectionMultiplexer redis, string channel)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel));
        var collector = new ReplyCollector(channel, queue);
        queue.OnMessage(collector.OnMessage);
        return collector;
    }

    private void OnMessage(ChannelMessage message)
    {
        var bytes = (byte[])message.Message!;
        if (bytes.AsSpan().StartsWith(FlushMarker) && flushes.TryRemove(System.Text.Encoding.UTF8.GetString(bytes), out var flushed))
        {
            flushed.TrySetResult();
            return;
        }

        var json = JsonDocument.Parse(bytes).RootElement.Clone();
        replies.GetOrAdd(json.GetProperty("id").GetString() ?? "", _ => new()).Enqueue(json);
        Interlocked.Increment(ref total);
        var now = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref lastReplyAt, now);
        arrivals.Enqueue(now);
    }

    private readonly ConcurrentQueue<long> arrivals = new();

    private static readonly byte[] FlushMarker = "flush:"u8.ToArray();

    private readonly ConcurrentDictionary<string, TaskCompletionSource> flushes = new(StringComparer.Ordinal);

    /// <summary>
    /// Waits until every reply published before this call has arrived: publishes a marker on the
    /// channel and waits for it. Redis delivers a channel's messages in the order it ran the
    /// PUBLISH commands, and this one runs after every reply whose acknowledgement the caller saw.
    /// </summary>
    public async Task FlushAsync(IDatabase db, TimeSpan timeout)
    {
        var marker = $"flush:{Guid.NewGuid():N}";
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flushes[marker] = arrived;
        await db.PublishAsync(RedisChannel.Literal(Channel), marker);
        await arrived.Task.WaitAsync(timeout, Fleet.Ct);
    }

    /// <summary>When the first reply after <paramref name="mark"/> arrived (<see cref="Stopwatch"/> timestamp), 0 if none.</summary>
    public long FirstReplyAfter(long mark) => arrivals.Where(t => t > mark).DefaultIfEmpty(0).Min();

    /// <summary>Request ids with at least one reply.</summary>
    public int Answered => replies.Count;

    /// <summary>Replies received in all (a request answered twice counts twice).</summary>
    public int Total => Volatile.Read(ref total);

    /// <summary>When the last reply arrived (<see cref="Stopwatch"/> timestamp), 0 if none.</summary>
    public long LastReplyAt => Interlocked.Read(ref lastReplyAt);

    public IReadOnlyList<JsonElement> RepliesTo(string id) => replies.TryGetValue(id, out var q) ? q.ToArray() : [];

    public IEnumerable<(string Id, JsonElement[] Replies)> All => replies.Select(kv => (kv.Key, kv.Value.ToArray()));

    public static string Status(JsonElement reply) =>
        reply.GetProperty("status").GetString() == "ok" ? "ok" : reply.GetProperty("error").GetProperty("code").GetString()!;

    /// <summary>What an answer says, without its timings or cache flag: the results in order.</summary>
    public static string Results(JsonElement reply) =>
        Status(reply) + ":" + string.Join(',', reply.GetProperty("results").EnumerateArray().Select(r => $"{r.GetProperty("id").GetString()}#{r.GetProperty("chunk").GetInt32()}"));

    /// <summary>Requests answered more than once, and how many of those got answers that differ.</summary>
    public (int Twice, int Conflicting) Duplicates()
    {
        var twice = 0;
        var conflicting = 0;
        foreach (var (_, list) in All)
        {
            if (list.Length > 1)
            {
                twice++;
                if (list.Select(Results).Distinct(StringComparer.Ordinal).Count() > 1)
                {
                    conflicting++;
                }
            }
        }

        return (twice, conflicting);
    }

    public async ValueTask DisposeAsync() => await subscription.UnsubscribeAsync();
}

/// <summary>Raw query requests, as any language would post them.</summary>
internal static class Requests
{
    public static NameValueEntry[] Query(string id, string query, string replyTo, int k = 3, DateTimeOffset? deadline = null)
    {
        var fields = new List<NameValueEntry> { new("id", id), new("query", query), new("k", k), new("reply_to", replyTo) };
        if (deadline is { } d)
        {
            fields.Add(new(QueryRequestFields.Deadline, d.ToUnixTimeMilliseconds()));
        }

        return fields.ToArray();
    }
}

/// <summary>
/// Callers asking questions in a loop through the .NET client, each outcome classified: an answer,
/// an error reply (by code), or a failure the caller can act on by retrying (timeout, connection).
/// Anything else is unexpected and kept for the test to report.
/// </summary>
internal sealed class QueryLoad : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, int> outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Exception> unexpected = new();
    private readonly CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Fleet.Ct);
    private readonly Task[] callers;
    private long lastOk;

    public QueryLoad(Client.StreamRagClient client, int callers, TimeSpan timeout)
    {
        this.callers = Enumerable.Range(0, callers).Select(c => Task.Run(() => AskAsync(client, timeout))).ToArray();
    }

    /// <summary>When the last answer arrived (<see cref="Stopwatch"/> timestamp), 0 if none yet.</summary>
    public long LastOk => Interlocked.Read(ref lastOk);

    public IReadOnlyCollection<Exception> Unexpected => unexpected;

    /// <summary>How many calls ended each way ("ok", "error &lt;code&gt;", "timeout (retryable)", …).</summary>
    public IReadOnlyDictionary<string, int> Outcomes => outcomes;

    public string Summary => string.Join(", ", outcomes.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}"));

    private async Task AskAsync(Client.StreamRagClient client, TimeSpan timeout)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            string outcome;
            try
            {
                var reply = await client.QueryAsync($"bees honey colony {i % 97}", new Client.QueryOptions { K = 3, Timeout = timeout }, stop.Token);
                outcome = reply.Status == "ok" ? "ok" : $"error {reply.Error!.Code}";
                if (reply.Status == "ok")
                {
                    Interlocked.Exchange(ref lastOk, Stopwatch.GetTimestamp());
                }
            }
            catch (Client.QueryTimeoutException)
            {
                outcome = "timeout (retryable)";
            }
            catch (RedisConnectionException)
            {
                outcome = "connection error (retryable)";
            }
            catch (RedisTimeoutException)
            {
                outcome = "redis timeout (retryable)";
            }
            catch (RedisServerException ex) when (RedisErrors.IsTransient(ex))
            {
                // E.g. LOADING while a restarted Redis reads its AOF: the server says "later".
                outcome = $"{ex.Message.Split(' ')[0]} (retryable)";
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                unexpected.Enqueue(ex);
                outcome = $"unexpected {ex.GetType().Name}";
            }

            outcomes.AddOrUpdate(outcome, 1, (_, c) => c + 1);
            if (outcome != "ok")
            {
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    /// <summary>Stops the callers and waits for them (idempotent).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await stop.CancelAsync();
            await Task.WhenAll(callers);
            stop.Dispose();
        }
    }

    private int disposed;
}
