using System.Text.Json;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;

namespace StreamRag.IntegrationTests.Client;

/// <summary>
/// The .NET client's re-posting (issue 21, failover without visible errors) against a real Redis:
/// a request nobody answers is posted again with the same id, the first reply wins and later ones
/// are ignored, and the attempts are bounded.
/// </summary>
public sealed class QueryRetryTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueryAsync_FirstPostingTakenByADeadConsumer_IsPostedAgainWithTheSameIdAndAnsweredByTheWorker()
    {
        await using var scope = new TestScope(redis, 1, "retryghost");
        var stream = scope.Keys.QueryRequests;
        // A consumer of the workers' group that takes the first posting and dies with it (never
        // acknowledged; the worker below does not reclaim it within the test).
        await scope.Db.StreamCreateConsumerGroupAsync(stream, scope.Keys.QueryGroup, "0-0", createStream: true);
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);
        var query = client.QueryAsync("bees", new QueryOptions { RepostAfter = TimeSpan.FromMilliseconds(300), MaxAttempts = 10, Timeout = TimeSpan.FromSeconds(30) }, Ct);

        StreamEntry[] taken = [];
        await TestScope.EventuallyAsync(async () =>
        {
            taken = await scope.Db.StreamReadGroupAsync(stream, scope.Keys.QueryGroup, "ghost", ">", count: 1);
            return taken.Length == 1;
        }, "the dead consumer took the first posting");
        var requestId = (string)taken[0]["id"]!;

        await scope.StartQueryWorkerAsync(("Consumer:ClaimIdle", "00:05:00"));
        var reply = await query;

        Assert.Equal("ok", reply.Status);
        Assert.Equal(requestId, reply.Id);
        var postings = (await scope.Db.StreamRangeAsync(stream)).Where(e => (string)e["id"]! == requestId).ToArray();
        Assert.True(postings.Length >= 2, $"posted {postings.Length} time(s)");
        // Every posting is the same request: same fields, same deadline, so the same answer.
        Assert.All(postings, p => Assert.Equal(Fields(taken[0]), Fields(p)));
        var ghost = await scope.Db.StreamPendingMessagesAsync(stream, scope.Keys.QueryGroup, 10, "ghost");
        Assert.Equal(taken[0].Id, Assert.Single(ghost).MessageId);
    }

    [Fact]
    public async Task QueryAsync_TwoRepliesToOneId_TheFirstWinsAndTheSecondIsIgnored()
    {
        await using var scope = new TestScope(redis, 1, "retrydup");
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);
        var publisher = scope.Redis.Connection.GetSubscriber();

        // The test plays the worker: two replies to the request, as a worker answering two postings would send.
        var first = client.QueryAsync("bees", new QueryOptions { Timeout = TimeSpan.FromSeconds(20), MaxAttempts = 1 }, Ct);
        var request = await NextRequestAsync(scope, 0);
        var channel = RedisChannel.Literal((string)request["reply_to"]!);
        var id = (string)request["id"]!;
        await publisher.PublishAsync(channel, Json(new QueryReply(1, id, QueryReply.StatusOk, [], null, null, QueryTimings.Zero, "miss")));
        await publisher.PublishAsync(channel, Json(QueryReply.Failure(id, ErrorCodes.Internal, "the second reply", QueryTimings.Zero)));
        await publisher.PublishAsync(channel, Json(QueryReply.Failure("nobody-asked", ErrorCodes.Internal, "a stray reply", QueryTimings.Zero)));

        var reply = await first;
        Assert.Equal(QueryReply.StatusOk, reply.Status);
        Assert.Null(reply.Error);

        // The client goes on matching replies: the next query gets its own.
        var second = client.QueryAsync("wasps", new QueryOptions { Timeout = TimeSpan.FromSeconds(20), MaxAttempts = 1 }, Ct);
        var next = await NextRequestAsync(scope, 1);
        Assert.NotEqual(id, (string)next["id"]!);
        await publisher.PublishAsync(channel, Json(QueryReply.Failure((string)next["id"]!, ErrorCodes.Unavailable, "its own reply", QueryTimings.Zero)));
        Assert.Equal("its own reply", (await second).Error?.Message);
    }

    [Fact]
    public async Task QueryAsync_NobodyAnswers_PostsMaxAttemptsTimesThenThrowsQueryTimeout()
    {
        await using var scope = new TestScope(redis, 1, "retrynone");
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);
        var started = TimeProvider.System.GetTimestamp();

        var ex = await Assert.ThrowsAsync<QueryTimeoutException>(() => client.QueryAsync("bees",
            new QueryOptions { RepostAfter = TimeSpan.FromMilliseconds(200), MaxAttempts = 3, Timeout = TimeSpan.FromSeconds(2) }, Ct));

        Assert.True(TimeProvider.System.GetElapsedTime(started) >= TimeSpan.FromSeconds(2));
        Assert.Equal(3, ex.Postings);
        Assert.Contains("posted 3 time(s)", ex.Message, StringComparison.Ordinal);
        var postings = await scope.Db.StreamRangeAsync(scope.Keys.QueryRequests);
        Assert.Equal(3, postings.Length);
        Assert.All(postings, p => Assert.Equal(ex.RequestId, (string)p["id"]!));
    }

    [Fact]
    public async Task QueryAsync_ARefusalThatWillNotPass_IsThrownAtOnceNotRetried()
    {
        await using var scope = new TestScope(redis, 1, "retrywrong");
        // WRONGTYPE: the request stream's key holds a string; posting again cannot help.
        await scope.Db.StringSetAsync(scope.Keys.QueryRequests, "not a stream");
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);

        var ex = await Assert.ThrowsAsync<RedisServerException>(() => client.QueryAsync("bees", new QueryOptions { Timeout = TimeSpan.FromSeconds(20) }, Ct));

        Assert.StartsWith("WRONGTYPE", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 3, 5000)]
    [InlineData(200, 0, 5000)]
    [InlineData(200, 3, 0)]
    public async Task QueryAsync_InvalidRetryOptions_AreRefusedBeforeAnythingIsPosted(int repostAfterMs, int maxAttempts, int timeoutMs)
    {
        await using var scope = new TestScope(redis, 1, "retryinvalid");
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.QueryAsync("bees", new QueryOptions
        {
            RepostAfter = TimeSpan.FromMilliseconds(repostAfterMs),
            MaxAttempts = maxAttempts,
            Timeout = TimeSpan.FromMilliseconds(timeoutMs),
        }, Ct));

        Assert.Contains("invalid query options", ex.Message, StringComparison.Ordinal);
        Assert.False(await scope.Db.KeyExistsAsync(scope.Keys.QueryRequests));
    }

    private static async Task<StreamEntry> NextRequestAsync(TestScope scope, int index)
    {
        StreamEntry[] entries = [];
        await TestScope.EventuallyAsync(async () => (entries = await scope.Db.StreamRangeAsync(scope.Keys.QueryRequests)).Length > index, $"request {index} is posted");
        return entries[index];
    }

    private static string Json(QueryReply reply) => JsonSerializer.Serialize(reply, ContractJsonContext.Default.QueryReply);

    private static string Fields(StreamEntry entry) => string.Join('\n', entry.Values.Select(v => $"{v.Name}={v.Value}"));
}
