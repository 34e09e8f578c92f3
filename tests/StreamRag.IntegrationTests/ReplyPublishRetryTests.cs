using Microsoft.Extensions.Logging;

namespace StreamRag.IntegrationTests;

/// <summary>
/// The query worker's reply step across a Redis outage (issue 21): a reply whose PUBLISH fails is
/// retried in place with back-off and delivered once Redis is back, instead of leaving the request
/// to be answered all over again.
/// </summary>
public sealed class ReplyPublishRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reply_RedisGoneBetweenSearchAndPublish_IsPublishedOnceRedisIsBack()
    {
        await using var server = await RedisServerFixture.StartDedicatedAsync("--appendonly", "yes");
        await using var stub = new StubOpenAIServer();
        await using var scope = new TestScope(server, 1, "publishretry");
        var log = new LogCapture();
        await scope.StartEmbedderAsync();
        // The chat model hangs, so the request waits between its search and its reply while Redis
        // goes away; the answer then falls back to the extractive one after the chat timeout.
        stub.ChatMode = StubFault.Hang;
        await scope.StartAsync(b =>
        {
            StreamRag.Query.QueryExtensions.AddQueryWorker(b);
            b.Logging.AddProvider(log);
        },
            ("Answer:Provider", "openai"), ("Answer:Model", "stub-chat"), ("Answer:BaseUrl", stub.BaseUrl),
            ("Answer:Resilience:Timeout", "00:00:02"), ("Answer:Resilience:MaxRetries", "0"),
            ("Query:CacheEntries", "0"), ("Logging:LogLevel:StreamRag.Query.ReplyPublisher", "Debug"));
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEventsOf("default", "bees"),
            [new("id", "bees"), new("version", 1), new("content", "Honeybees live in a hive ruled by a queen.")]);
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "bees", Ct) is not null, "the document is indexed");

        await scope.Db.StreamAddAsync(scope.Keys.QueryRequests,
            [new("id", "q-outage"), new("query", "who rules the hive?"), new("mode", "answer"), new("reply_to", $"{scope.Prefix}:reply:outage"),
             new("deadline", DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds())]);
        await TestScope.EventuallyAsync(() => Task.FromResult(stub.ChatRequests.Count > 0), "the worker searched and asks the chat model");
        // With its AOF flushed: the stream and its pending entry are there again after the restart.
        await server.ShutdownAsync();
        await TestScope.EventuallyAsync(() => Task.FromResult(log.Of(5700).Any(e => Equals(e.Values["Id"], "q-outage"))),
            "the reply's PUBLISH failed and is being retried", TimeSpan.FromSeconds(30));
        await server.StartAsync();

        await TestScope.EventuallyAsync(() => Task.FromResult(log.Of(5701).Any(e => Equals(e.Values["Id"], "q-outage"))),
            "the reply is published after retries", TimeSpan.FromSeconds(30));
        var published = log.Of(5701).First(e => Equals(e.Values["Id"], "q-outage"));
        Assert.True((int)published.Values["Attempts"]! >= 2, published.Message);
        Assert.Empty(log.Of(5702));
        // Published, then acknowledged: nothing of it is left pending for a second answer.
        await TestScope.EventuallyAsync(async () => (await scope.Db.StreamPendingAsync(scope.Keys.QueryRequests, scope.Keys.QueryGroup)).PendingMessageCount == 0,
            "the request is acknowledged");
    }
}
