using System.Text.Json;
using System.Threading.Channels;
using StackExchange.Redis;
using StreamRag.Contracts;

namespace StreamRag.IntegrationTests;

/// <summary>
/// One document travels the whole way on the default provider (the local arctic-embed-xs model):
/// raw XADD event in, vector indexed, raw XADD query in, reply out.
/// </summary>
public sealed class EndToEndTests(RedisServerFixture redis)
{
    [Theory]
    [ClusterScenario]
    [InlineData("what does the queen bee do in the hive?")]
    // Shares no content word with the passage: only a semantic model finds it.
    [InlineData("which insects turn flower juice into something sweet?")]
    public async Task DocumentEventThenQuery_ReplyNamesThatDocumentFirst(string question)
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(TestScope.UseLocalModel);
        await scope.StartQueryWorkerAsync(TestScope.UseLocalModel);
        var ct = TestContext.Current.CancellationToken;

        // Exactly what an upstream system would send with redis-cli XADD.
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents,
        [
            new("op", "upsert"), new("id", "bees"), new("version", "1"), new("source", "wiki"), new("tags", "nature,insects"),
            new("content", "Honeybees live in a hive ruled by a queen; workers gather pollen and nectar and dance to share where flowers are."),
        ]);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents,
        [
            new("op", "upsert"), new("id", "lava"), new("version", "1"), new("source", "wiki"),
            new("content", "Volcanoes erupt when magma rises through the crust; lava flows and ash clouds follow."),
        ]);
        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", "bees", ct) is not null
                                                    && await index.GetStateAsync("default", "lava", ct) is not null, "both documents are indexed");

        var replies = Channel.CreateUnbounded<string>();
        var channel = RedisChannel.Literal($"{scope.Prefix}:test-replies");
        var subscription = await redis.Connection.GetSubscriber().SubscribeAsync(channel);
        subscription.OnMessage(m => replies.Writer.TryWrite((string)m.Message!));

        await scope.Db.StreamAddAsync(scope.Keys.QueryRequests,
        [
            new("id", "q1"), new("query", question), new("k", "2"), new("reply_to", channel.ToString()),
        ]);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var json = await replies.Reader.ReadAsync(timeout.Token);
        await subscription.UnsubscribeAsync();

        using var reply = JsonDocument.Parse(json);
        var root = reply.RootElement;
        Assert.Equal("q1", root.GetProperty("id").GetString());
        Assert.Equal("ok", root.GetProperty("status").GetString());
        var results = root.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal("bees", results[0].GetProperty("id").GetString());
        Assert.Equal("wiki", results[0].GetProperty("source").GetString());
        Assert.Equal(["nature", "insects"], results[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("queen", results[0].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal("lava", results[1].GetProperty("id").GetString());
        Assert.True(results[0].GetProperty("score").GetDouble() > results[1].GetProperty("score").GetDouble());
        Assert.True(root.GetProperty("timings").GetProperty("total_ms").GetDouble() > 0);

        // And the typed contract reads the same JSON.
        var typed = JsonSerializer.Deserialize(json, ContractJsonContext.Default.QueryReply)!;
        Assert.Equal("bees", typed.Results[0].Id);
    }
}
