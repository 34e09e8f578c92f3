using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Embedding;
using StreamRag.Embedding.Local;

namespace StreamRag.IntegrationTests;

/// <summary>
/// The embedder and query hosts on the local model: long documents are cut to the model's window
/// (never truncated), an over-long question is refused with a stable code, and repeated questions
/// skip the model.
/// </summary>
public sealed class LocalProviderTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LongDocument_IsCutIntoPassagesThatFitTheWindow_AndEveryOneIsIndexed()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync([.. TestScope.UseLocalModel, ("Chunking:Size", "4000")]);
        var sentences = Enumerable.Range(0, 300).Select(i => $"Paragraph {i} tells how lighthouse keeper number {i} polished the Fresnel lens.");
        var content = string.Join('\n', sentences);

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "lighthouse"), new("version", 1), new("content", content)]);
        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", "lighthouse", Ct) is not null, "the document is indexed", TimeSpan.FromSeconds(60));

        // Chunking:Size 4000 is capped at the window (510 + [CLS] and [SEP]): 300 sentences of ~17 tokens make ~10 passages.
        var chunker = new WordPieceChunker(TestScope.LocalModels.Tokenizer(LocalModelSpec.ArcticEmbedXs), LocalModelSpec.ArcticEmbedXs, 4000, 40);
        var expected = chunker.Split(content);
        Assert.InRange(expected.Count, 8, 14);
        Assert.All(expected, c => Assert.InRange(chunker.CountTokens(c.Text), 1, 510));
        var state = await index.GetStateAsync("default", "lighthouse", Ct);
        Assert.Equal(expected.Count, state!.Chunks);
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
    }

    [Fact]
    public async Task HostOfTheOtherPrecision_RefusesTheIndex_NamingBoth()
    {
        await using var scope = new TestScope(redis);
        var cache = ("Embedding:Local:CacheDirectory", Path.Combine(Path.GetTempPath(), "streamrag-tests-model-cache"));
        await scope.StartEmbedderAsync([.. TestScope.UseLocalModel, ("Embedding:Local:Precision", "float32")]);

        var int8 = await Assert.ThrowsAsync<Index.IndexManifestConflictException>(() =>
            scope.StartQueryWorkerAsync([.. TestScope.UseLocalModel, ("Embedding:Local:Precision", "int8"), cache]));

        Assert.Contains("This host embeds with snowflake-arctic-embed-xs (provider local, 384 dimensions, int8)", int8.Message, StringComparison.Ordinal);
        Assert.Contains("was built with snowflake-arctic-embed-xs (provider local, 384 dimensions, float32)", int8.Message, StringComparison.Ordinal);
        Assert.Contains("set Embedding:Local:Precision=float32", int8.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryLongerThanTheWindow_GetsTooLarge_AndTheWorkerKeepsServing()
    {
        await using var scope = new TestScope(redis);
        await scope.StartQueryWorkerAsync(TestScope.UseLocalModel);
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);

        // 1,999 characters (under the contract's 2,000) but ~1,000 tokens: more than the model takes.
        var tooLong = await client.QueryAsync(string.Join(' ', Enumerable.Repeat("x", 1000)), cancellationToken: Ct);
        var fine = await client.QueryAsync("what do bees make?", cancellationToken: Ct);

        Assert.Equal("too_large", tooLong.Error?.Code);
        Assert.Contains("snowflake-arctic-embed-xs takes at most 512", tooLong.Error!.Message, StringComparison.Ordinal);
        Assert.Equal("ok", fine.Status);
    }

    [Fact]
    public async Task RepeatedQuery_SkipsTheModel_UntilTheCacheForgetsIt()
    {
        await using var scope = new TestScope(redis);
        var counting = new RecordingEmbeddingGenerator(new HashingEmbeddingGenerator(384));
        await scope.StartAsync(b =>
        {
            Query.QueryExtensions.AddQueryWorker(b);
            b.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(counting);
        }, ("Query:CacheEntries", "0"), ("Query:EmbeddingCacheEntries", "2"));
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);
        // The worker embeds "warm up" before it takes requests; that text takes one of the two entries first.
        await TestScope.EventuallyAsync(() => Task.FromResult(counting.Calls.Any(c => c.Text == "warm up")), "the worker has warmed up");

        foreach (var question in new[] { "where do bees live", "where  do bees live ", "what is lava", "where do bees live", "what is tea", "what is lava", "where do bees live" })
        {
            Assert.Equal("ok", (await client.QueryAsync(question, cancellationToken: Ct)).Status);
        }

        // Hits: the re-spaced bees (same normalised text), then bees again. Misses: tea pushes lava
        // out (bees was used since), then lava pushes bees out.
        var calls = counting.Calls.Where(c => c.Text != "warm up").ToArray();
        Assert.Equal(["where do bees live", "what is lava", "what is tea", "what is lava", "where do bees live"], calls.Select(c => c.Text));
        Assert.All(calls, c => Assert.True(c.Query, "the query worker says its texts are queries"));
    }
}

/// <summary>Records every text a generator is asked to embed, and whether the call said it was a query.</summary>
internal sealed class RecordingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Text, bool Query)> calls = new();

    public IReadOnlyCollection<(string Text, bool Query)> Calls => calls;

    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values.ToList();
        foreach (var text in list)
        {
            calls.Enqueue((text, EmbeddingInput.IsQuery(options)));
        }

        return base.GenerateAsync(list, options, cancellationToken);
    }
}
