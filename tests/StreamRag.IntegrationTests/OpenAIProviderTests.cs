using System.Text.Json;
using System.Threading.Channels;
using StackExchange.Redis;
using StreamRag.Contracts;

namespace StreamRag.IntegrationTests;

/// <summary>
/// The embedder and query hosts with <c>Embedding:Provider=openai</c>, pointed at the local stub
/// OpenAI server: the whole path works, an outage loses nothing, and wrong-sized vectors never land.
/// </summary>
public sealed class OpenAIProviderTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (string, string)[] OpenAISettings(StubOpenAIServer stub) =>
    [
        ("Embedding:Provider", "openai"),
        ("Embedding:Model", "stub-embed"),
        ("Embedding:BaseUrl", stub.BaseUrl),
        ("Embedding:Dimensions", "384"),
        ("Embedding:Resilience:MaxRetries", "1"),
        ("Embedding:Resilience:RetryDelay", "00:00:00.010"),
        ("Embedding:Resilience:MaxRetryDelay", "00:00:00.050"),
        ("Embedding:Resilience:BreakerMinimumThroughput", "2"),
        ("Embedding:Resilience:BreakerBreakDuration", "00:00:00.500"),
        ("Chunking:Size", "64"),
        ("Chunking:Overlap", "8"),
    ];

    private static Task AddDocumentAsync(TestScope scope, string id, string content) =>
        scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("op", "upsert"), new("id", id), new("version", "1"), new("source", "wiki"), new("content", content)]);

    [Fact]
    public async Task OpenAIProvider_DocumentEventThenQuery_ReplyNamesThatDocumentFirst()
    {
        await using var stub = new StubOpenAIServer(dimensions: 384);
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(OpenAISettings(stub));
        await scope.StartQueryWorkerAsync(OpenAISettings(stub));

        await AddDocumentAsync(scope, "bees", "Honeybees live in a hive ruled by a queen; workers gather pollen and nectar and dance to share where flowers are.");
        await AddDocumentAsync(scope, "lava", "Volcanoes erupt when magma rises through the crust; lava flows and ash clouds follow.");
        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", "bees", Ct) is not null
                                                    && await index.GetStateAsync("default", "lava", Ct) is not null, "both documents are indexed");

        var replies = Channel.CreateUnbounded<string>();
        var channel = RedisChannel.Literal($"{scope.Prefix}:test-replies");
        var subscription = await redis.Connection.GetSubscriber().SubscribeAsync(channel);
        subscription.OnMessage(m => replies.Writer.TryWrite((string)m.Message!));
        await scope.Db.StreamAddAsync(scope.Keys.QueryRequests,
            [new("id", "q1"), new("query", "what does the queen bee do in the hive?"), new("k", "2"), new("reply_to", channel.ToString())]);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        using var reply = JsonDocument.Parse(await replies.Reader.ReadAsync(timeout.Token));
        await subscription.UnsubscribeAsync();

        Assert.Equal("ok", reply.RootElement.GetProperty("status").GetString());
        Assert.Equal("bees", reply.RootElement.GetProperty("results")[0].GetProperty("id").GetString());

        // The query worker marks its calls as queries; that marker is for in-process models and never reaches a remote API.
        Assert.Contains(stub.EmbeddingRequests, r => r.Body.Contains("queen bee", StringComparison.Ordinal));
        Assert.DoesNotContain(stub.EmbeddingRequests, r => r.Body.Contains(Embedding.EmbeddingInput.KindKey, StringComparison.Ordinal));

        // Documents and the question were all embedded by the provider, not locally.
        Assert.Contains(stub.EmbeddingRequests, r => r.Body.Contains("queen bee do", StringComparison.Ordinal));
        Assert.Contains(stub.EmbeddingRequests, r => r.Body.Contains("Volcanoes erupt", StringComparison.Ordinal));
        Assert.All(stub.EmbeddingRequests, r => Assert.Equal("stub-embed", r.Model));
    }

    [Fact]
    public async Task OpenAIProvider_DownThenUp_EveryEventIndexedNoneDeadLettered()
    {
        await using var stub = new StubOpenAIServer(dimensions: 384) { EmbeddingMode = StubFault.Error(503) };
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(OpenAISettings(stub));
        var ids = Enumerable.Range(0, 5).Select(i => $"doc{i}").ToArray();
        foreach (var id in ids)
        {
            await AddDocumentAsync(scope, id, $"Document {id} about honeybees, hives and pollen number {id}.");
        }

        // Down: the embedder keeps trying, and meanwhile nothing is acked, written or dead-lettered.
        await TestScope.EventuallyAsync(() => Task.FromResult(stub.EmbeddingRequests.Count >= 4), "the embedder has tried the provider several times");
        var index = scope.Index();
        foreach (var id in ids)
        {
            Assert.Null(await index.GetStateAsync("default", id, Ct));
        }

        var pending = await scope.Db.StreamPendingAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup);
        Assert.True(pending.PendingMessageCount > 0, "the events are pending, not acknowledged");
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));

        // Up: work resumes by itself.
        stub.EmbeddingMode = StubFault.None;
        await TestScope.EventuallyAsync(async () =>
        {
            foreach (var id in ids)
            {
                if (await index.GetStateAsync("default", id, Ct) is null)
                {
                    return false;
                }
            }

            return true;
        }, "every document is indexed once the provider is back");
        await TestScope.EventuallyAsync(async () => (await scope.Db.StreamPendingAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup)).PendingMessageCount == 0,
            "every event is acknowledged");
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
    }

    [Fact]
    public async Task OpenAIProvider_WrongDimension_DeadLetteredNothingWritten()
    {
        await using var stub = new StubOpenAIServer(dimensions: 384) { EmbeddingMode = StubFault.WrongDimension(256) };
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(OpenAISettings(stub));

        await AddDocumentAsync(scope, "bees", "Honeybees live in a hive ruled by a queen.");
        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters) == 1, "the document is dead-lettered");

        var dead = (await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters)).Single();
        Assert.Contains("refused", (string?)dead[DeadLetterFields.Reason], StringComparison.Ordinal);
        Assert.Null(await scope.Index().GetStateAsync("default", "bees", Ct));
        Assert.Equal(0, (await scope.Index().GetStatsAsync(Ct)).Vectors);
    }
}
