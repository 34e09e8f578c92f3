using System.Runtime.InteropServices;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.IntegrationTests;

/// <summary>
/// The recall sample a query worker writes for the monitor's tuner holds the pure vector-search
/// candidates, not the reply's re-ranked list: recall of a re-ranked list against an exact vector
/// search is low by construction, and the tuner would walk search_ef to its maximum.
/// </summary>
public sealed class RecallSampleTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARerankedQuery_IsSampledWithItsPureVectorCandidates()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        // Recency dominates the fusion, so the newest document, the least similar one, comes first.
        await scope.StartQueryWorkerAsync(("Query:Rerank", "Fusion"), ("Query:SimilarityWeight", "0.1"), ("Query:RecencyWeight", "0.9"),
            ("Query:LengthWeight", "0"), ("Query:RecallSampleRate", "1"));
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);
        var old = DateTimeOffset.UtcNow.AddYears(-3);
        string[] texts =
        [
            "honey bees queen hive colony eggs", "honey bees queen hive colony", "honey bees queen hive",
            "honey bees queen", "honey bees pollen flowers meadow",
        ];
        for (var i = 0; i < texts.Length; i++)
        {
            await client.UpsertDocumentAsync(new DocumentUpsert($"d{i}", 1, texts[i]) { Timestamp = old.AddDays(i) }, Ct);
        }

        await client.UpsertDocumentAsync(new DocumentUpsert("newest", 1, "bees in winter") { Timestamp = DateTimeOffset.UtcNow }, Ct);
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "newest", Ct) is not null
            && await scope.Index().GetStateAsync("default", "d4", Ct) is not null, "every document is indexed");

        var reply = await client.QueryAsync("honey bees queen hive colony eggs", new QueryOptions { K = 3, Timeout = TimeSpan.FromSeconds(30) }, Ct);
        Assert.Equal("ok", reply.Status);
        Assert.Equal("newest", reply.Results[0].Id);

        var sample = await WaitSampleAsync(scope);
        var vector = MemoryMarshal.Cast<byte, float>(((byte[])sample[QueryMetricsFields.Vector]!).AsSpan()).ToArray();
        var pure = await scope.Index().SearchAsync(new VectorQuery("default", vector, 3, QueryFilters.None, (int)sample[QueryMetricsFields.Ef]), Ct);
        Assert.DoesNotContain(pure, h => h.DocumentId == "newest");
        Assert.Equal(string.Join(',', pure.Select(h => $"{h.DocumentId}#{h.Chunk}")), (string?)sample[QueryMetricsFields.ResultIds]);
    }

    [Fact]
    public async Task APlainVectorQuery_IsSampledWithItsOwnResults()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync(("Query:RecallSampleRate", "1"));
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);
        await client.UpsertDocumentAsync(new DocumentUpsert("d0", 1, "honey bees queen hive"), Ct);
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "d0", Ct) is not null, "the document is indexed");

        // A ready vector and no question text: nothing to fuse, nothing re-ranked.
        var vector = TestScope.Embedder.Embed("honey bees");
        var reply = await client.QueryAsync(vector, new QueryOptions { K = 3, Timeout = TimeSpan.FromSeconds(30) }, Ct);
        var sample = await WaitSampleAsync(scope);
        Assert.Equal(string.Join(',', reply.Results.Select(r => $"{r.Id}#{r.Chunk}")), (string?)sample[QueryMetricsFields.ResultIds]);
    }

    private static async Task<Dictionary<string, StackExchange.Redis.RedisValue>> WaitSampleAsync(TestScope scope)
    {
        Dictionary<string, StackExchange.Redis.RedisValue>? sample = null;
        await TestScope.EventuallyAsync(async () =>
        {
            sample = (await scope.Db.StreamRangeAsync(scope.Keys.QueryMetrics))
                .Select(e => e.Values.ToDictionary(v => (string)v.Name!, v => v.Value, StringComparer.Ordinal))
                .FirstOrDefault(f => f.ContainsKey(QueryMetricsFields.ResultIds));
            return sample is not null;
        }, "the query's recall sample is on the metrics stream");
        return sample!;
    }
}
