using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Index;
using StreamRag.Index.Search;

namespace StreamRag.IntegrationTests;

/// <summary>
/// The Query Engine engine's writes need no FT command: its Lua scripts keep the chunk hashes and the
/// document metadata consistent on any Redis, so they are checked here against the shared Redis 8,
/// hash by hash, and against what the vector-set engine (and so the sweeper) reads back.
/// </summary>
public sealed class SearchIndexWriteTests(RedisServerFixture redis)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IndexedDocument Doc(string id, long version, params string[] chunks) => new(
        "default", id, version, $"hash-{string.Join('|', chunks).GetHashCode(StringComparison.Ordinal)}", "wiki", T0, ["t1", "t2"], null,
        chunks.Select((c, i) => new IndexedChunk(i, c, TestScope.Embedder.Embed(c))).ToArray());

    private static IndexUnderTest Engine(TestScope scope) =>
        scope.Over(new SearchVectorIndex(scope.Connections(), scope.Keys, Options.Create(new IndexOptions()), NullLogger<SearchVectorIndex>.Instance));

    private static async Task<Dictionary<string, RedisValue>> ChunkAsync(TestScope scope, string id, int chunk) =>
        (await scope.Db.HashGetAllAsync(scope.Keys.PartitionOf("default", id).Chunk(id, chunk))).ToDictionary(e => (string)e.Name!, e => e.Value);

    [Fact]
    public async Task Upsert_WritesOneHashPerChunk_WithEveryIndexedField()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);

        Assert.Equal(IndexWriteResult.Applied, await index.UpsertAsync(Doc("d", 1, "alpha bees", "beta hive"), Ct));

        var chunk = await ChunkAsync(scope, "d", 1);
        Assert.Equal("d", chunk["doc"]);
        Assert.Equal("1", chunk["chunk"]);
        Assert.Equal("default", chunk["tenant"]);
        Assert.Equal("beta hive", chunk["content"]);
        Assert.Equal("wiki", chunk["source"]);
        Assert.Equal(T0.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), chunk["ts"]);
        Assert.Equal("t1,t2", chunk["tags"]);
        Assert.Equal(SearchQueries.VectorBlob(TestScope.Embedder.Embed("beta hive")), (byte[])chunk["vec"]!);
        Assert.False(await scope.Db.KeyExistsAsync(scope.Keys.PartitionOf("default", "d").Chunk("d", 2)));
    }

    [Fact]
    public async Task Upsert_TextWithLineBreaks_IsIndexedWithSpaces_AndTheOriginalIsKept()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);

        await index.UpsertAsync(Doc("d", 1, "honeybees live in a hive\nruled by a queen", "one line"), Ct);

        var broken = await ChunkAsync(scope, "d", 0);
        Assert.Equal("honeybees live in a hive ruled by a queen", broken["content"]);
        Assert.Equal("honeybees live in a hive\nruled by a queen", broken["text"]);
        Assert.False((await ChunkAsync(scope, "d", 1)).ContainsKey("text"), "a chunk without line breaks is stored once");

        // A new version whose chunk has no line break must not keep the old original.
        await index.UpsertAsync(Doc("d", 2, "now on one line"), Ct);
        var rewritten = await ChunkAsync(scope, "d", 0);
        Assert.Equal("now on one line", rewritten["content"]);
        Assert.False(rewritten.ContainsKey("text"));
    }

    [Fact]
    public async Task Upsert_FewerChunks_DeletesTheRest_AndTheSweeperSeesTheSameDocument()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);
        await index.UpsertAsync(Doc("d", 1, "one", "two", "three") with { ExpiresAt = T0.AddDays(1) }, Ct);

        Assert.Equal(IndexWriteResult.Applied, await index.UpsertAsync(Doc("d", 2, "four") with { ExpiresAt = T0.AddDays(2) }, Ct));

        Assert.Equal("four", (await ChunkAsync(scope, "d", 0))["content"]);
        Assert.Empty(await ChunkAsync(scope, "d", 1));
        Assert.Empty(await ChunkAsync(scope, "d", 2));
        var vectorSets = scope.Index();
        Assert.Equal(new DocumentState(2, Doc("d", 2, "four").ContentHash, 1, false), await vectorSets.GetStateAsync("default", "d", Ct));
        Assert.Equal([new ExpiringDocument("d", T0.AddDays(2))], await vectorSets.DueForExpiryAsync("default", T0.AddDays(3), 10, Ct));
        Assert.Equal(await vectorSets.GetEpochAsync("default", Ct), await index.GetEpochAsync("default", Ct));
    }

    [Fact]
    public async Task Upsert_MetadataOnly_RewritesMetadataOfEveryChunk_KeepsTextAndVector()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);
        var first = Doc("d", 1, "bees", "honey");
        await index.UpsertAsync(first, Ct);
        var vector = (byte[])(await ChunkAsync(scope, "d", 1))["vec"]!;

        Assert.Equal(IndexWriteResult.Applied, await index.UpsertAsync(first with { Version = 2, Source = "crm", Tags = [], Timestamp = T0.AddDays(1), Chunks = null }, Ct));

        var chunk = await ChunkAsync(scope, "d", 1);
        Assert.Equal(("crm", "honey"), ((string)chunk["source"]!, (string)chunk["content"]!));
        Assert.Equal(T0.AddDays(1).ToUnixTimeMilliseconds(), (long)chunk["ts"]);
        Assert.False(chunk.ContainsKey("tags"), "an empty tag list removes the field");
        Assert.Equal(vector, (byte[])chunk["vec"]!);
        Assert.Equal("crm", (await ChunkAsync(scope, "d", 0))["source"]);
    }

    [Fact]
    public async Task Upsert_StaleOrContentChanged_ChangesNothing()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);
        await index.UpsertAsync(Doc("d", 5, "current"), Ct);
        var epoch = await index.GetEpochAsync("default", Ct);

        Assert.Equal(IndexWriteResult.Stale, await index.UpsertAsync(Doc("d", 4, "older"), Ct));
        Assert.Equal(IndexWriteResult.ContentChanged, await index.UpsertAsync(Doc("d", 6, "x") with { ContentHash = "other", Chunks = null }, Ct));

        Assert.Equal("current", (await ChunkAsync(scope, "d", 0))["content"]);
        Assert.Equal(5, (await index.GetStateAsync("default", "d", Ct))!.Version);
        Assert.Equal(epoch, await index.GetEpochAsync("default", Ct));
    }

    [Fact]
    public async Task Delete_RemovesEveryChunk_AndLeavesATombstone()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);
        await index.UpsertAsync(Doc("d", 1, "one", "two"), Ct);

        Assert.Equal(IndexWriteResult.Applied, await index.DeleteAsync("default", "d", 2, Ct));

        Assert.Empty(await ChunkAsync(scope, "d", 0));
        Assert.Empty(await ChunkAsync(scope, "d", 1));
        Assert.Equal(new DocumentState(2, null, 0, true), await index.GetStateAsync("default", "d", Ct));
        Assert.True(await scope.Db.KeyTimeToLiveAsync(scope.Keys.PartitionOf("default", "d").Document("d")) > TimeSpan.Zero);
        Assert.Equal(IndexWriteResult.Stale, await index.UpsertAsync(Doc("d", 2, "late"), Ct));
        Assert.Empty(await ChunkAsync(scope, "d", 0));
    }

    [Fact]
    public async Task Expire_OnlyWhenTheExpiryIsUnchanged_RemovesTheChunks()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);
        await index.UpsertAsync(Doc("a", 1, "alpha", "more") with { ExpiresAt = T0.AddSeconds(10) }, Ct);
        await index.UpsertAsync(Doc("b", 1, "beta") with { ExpiresAt = T0.AddSeconds(20) }, Ct);
        var due = await index.DueForExpiryAsync("default", T0.AddSeconds(30), 10, Ct);
        await index.UpsertAsync(Doc("b", 2, "beta") with { ExpiresAt = T0.AddSeconds(500) }, Ct);

        Assert.True(await index.ExpireAsync("default", "a", due[0].ExpiresAt, Ct));
        Assert.False(await index.ExpireAsync("default", "b", due[1].ExpiresAt, Ct));

        Assert.Empty(await ChunkAsync(scope, "a", 0));
        Assert.Empty(await ChunkAsync(scope, "a", 1));
        Assert.Equal("beta", (await ChunkAsync(scope, "b", 0))["content"]);
        Assert.True((await index.GetStateAsync("default", "a", Ct))!.Deleted);
    }

    [Fact]
    public async Task Upsert_WrongDimension_IsRefusedBeforeWriting()
    {
        await using var scope = new TestScope(redis);
        using var index = Engine(scope);

        await Assert.ThrowsAsync<DimensionMismatchException>(() => index.UpsertAsync(Doc("d", 1, "x") with { Chunks = [new IndexedChunk(0, "x", new float[17])] }, Ct));

        Assert.Empty(await ChunkAsync(scope, "d", 0));
        Assert.Empty(await index.ListTenantsAsync(Ct));
    }
}
