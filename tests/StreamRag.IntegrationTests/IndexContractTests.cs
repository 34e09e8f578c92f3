using System.Runtime.CompilerServices;
using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.IntegrationTests;

/// <summary>
/// The contract every index engine keeps, against a real server: atomic replace, versions,
/// tombstones, filters, tenants, expiry, exact search, statistics. One concrete class per engine.
/// </summary>
public abstract class IndexContractTests
{
    /// <summary>The server the engine runs against; skips the test (with the reason) when there is none.</summary>
    protected abstract ITestRedisServer Server { get; }

    /// <summary>The engine under test, bound to the scope (its keys and any index are cleaned up with it), ready as after host start-up.</summary>
    protected abstract Task<IndexUnderTest> CreateIndexAsync(TestScope scope, int dimensions = 384);

    /// <summary>Whether the engine still stores chunk <paramref name="chunk"/> of a document.</summary>
    protected abstract Task<bool> ChunkStoredAsync(TestScope scope, string tenant, string documentId, int chunk);

    private TestScope NewScope([CallerMemberName] string test = "") => new(Server, test: test);

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IndexedDocument Doc(string id, long version, params string[] chunks) => new(
        "default", id, version, $"hash-{string.Join('|', chunks).GetHashCode(StringComparison.Ordinal)}", "wiki", T0, ["t1"], null,
        chunks.Select((c, i) => new IndexedChunk(i, c, TestScope.Embedder.Embed(c))).ToArray());

    private static VectorQuery Query(string text, int k = 10, QueryFilters? filters = null, string tenant = "default") =>
        new(tenant, TestScope.Embedder.Embed(text), k, filters ?? QueryFilters.None, null);

    [Fact]
    public async Task Upsert_NewVersionWithFewerChunks_LeavesNoStaleChunk()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        await index.UpsertAsync(Doc("d", 1, "alpha bees", "beta hive", "gamma honey"), Ct);

        Assert.Equal(IndexWriteResult.Applied, await index.UpsertAsync(Doc("d", 2, "delta volcano"), Ct));

        var hits = await index.SearchAsync(Query("bees hive honey volcano"), Ct);
        var hit = Assert.Single(hits);
        Assert.Equal(("d", 0, "delta volcano"), (hit.DocumentId, hit.Chunk, hit.Content));
        Assert.Equal(1, (await index.GetStateAsync("default", "d", Ct))!.Chunks);
        Assert.True(await ChunkStoredAsync(scope, "default", "d", 0));
        Assert.False(await ChunkStoredAsync(scope, "default", "d", 1));
        Assert.False(await ChunkStoredAsync(scope, "default", "d", 2));
    }

    [Fact]
    public async Task Upsert_OlderOrSameVersion_IsStaleAndChangesNothing()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        await index.UpsertAsync(Doc("d", 5, "current text"), Ct);
        var epoch = await index.GetEpochAsync("default", Ct);

        Assert.Equal(IndexWriteResult.Stale, await index.UpsertAsync(Doc("d", 4, "older text"), Ct));
        Assert.Equal(IndexWriteResult.Stale, await index.UpsertAsync(Doc("d", 5, "replayed text"), Ct));

        Assert.Equal("current text", Assert.Single(await index.SearchAsync(Query("text"), Ct)).Content);
        Assert.Equal(epoch, await index.GetEpochAsync("default", Ct));
    }

    [Fact]
    public async Task Delete_LeavesTombstone_SoALateOlderUpsertIsIgnored()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        await index.UpsertAsync(Doc("d", 1, "some text"), Ct);

        Assert.Equal(IndexWriteResult.Applied, await index.DeleteAsync("default", "d", 3, Ct));
        Assert.Equal(IndexWriteResult.Stale, await index.UpsertAsync(Doc("d", 2, "late text"), Ct));

        Assert.Empty(await index.SearchAsync(Query("text"), Ct));
        var state = await index.GetStateAsync("default", "d", Ct);
        Assert.True(state!.Deleted);
        Assert.Equal(3, state.Version);
        Assert.True(await scope.Db.KeyTimeToLiveAsync(scope.Keys.PartitionOf("default", "d").Document("d")) > TimeSpan.Zero);
        Assert.Equal(IndexWriteResult.Applied, await index.UpsertAsync(Doc("d", 4, "new life"), Ct));
    }

    [Fact]
    public async Task Upsert_MetadataOnly_UpdatesAttributesWithoutVectors()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        var first = Doc("d", 1, "bees and honey");
        await index.UpsertAsync(first, Ct);

        var metadataOnly = first with { Version = 2, Source = "crm", Tags = ["fresh"], Chunks = null };
        Assert.Equal(IndexWriteResult.Applied, await index.UpsertAsync(metadataOnly, Ct));

        var hit = Assert.Single(await index.SearchAsync(Query("bees", filters: QueryFilters.None with { Sources = ["crm"], TagsAll = ["fresh"] }), Ct));
        Assert.Equal("bees and honey", hit.Content);
        Assert.Equal("crm", hit.Source);
        Assert.Equal(["fresh"], hit.Tags);
    }

    [Fact]
    public async Task Upsert_MetadataOnlyButContentChanged_IsRefused()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        await index.UpsertAsync(Doc("d", 1, "one"), Ct);

        var result = await index.UpsertAsync(Doc("d", 2, "two") with { ContentHash = "something-else", Chunks = null }, Ct);

        Assert.Equal(IndexWriteResult.ContentChanged, result);
        Assert.Equal(1, (await index.GetStateAsync("default", "d", Ct))!.Version);
    }

    [Fact]
    public async Task Upsert_WrongDimension_IsRefusedBeforeWriting()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        var doc = Doc("d", 1, "x") with { Chunks = [new IndexedChunk(0, "x", new float[17])] };

        var error = await Assert.ThrowsAsync<DimensionMismatchException>(() => index.UpsertAsync(doc, Ct));

        Assert.Equal((384, 17), (error.Expected, error.Actual));
        Assert.Null(await index.GetStateAsync("default", "d", Ct));
    }

    [Fact]
    public async Task Search_Filters_RunInsideTheEngine_AndStillReturnK()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        for (var i = 0; i < 40; i++)
        {
            var doc = Doc($"d{i}", 1, $"bees honey hive number {i}") with
            {
                Source = i % 10 == 0 ? "rare" : "common",
                Tags = i % 2 == 0 ? ["even", "all"] : ["odd", "all"],
                Timestamp = T0.AddDays(i),
            };
            await index.UpsertAsync(doc, Ct);
        }

        var rare = await index.SearchAsync(Query("bees honey", k: 4, filters: QueryFilters.None with { Sources = ["rare"] }), Ct);
        Assert.Equal(4, rare.Count);
        Assert.All(rare, h => Assert.Equal("rare", h.Source));

        var evenRecent = await index.SearchAsync(Query("bees", k: 40, filters: QueryFilters.None with { TagsAll = ["even", "all"], From = T0.AddDays(30) }), Ct);
        Assert.Equal(5, evenRecent.Count);
        Assert.All(evenRecent, h => Assert.True(h.Timestamp >= T0.AddDays(30) && h.Tags.Contains("even")));

        var any = await index.SearchAsync(Query("bees", k: 40, filters: QueryFilters.None with { TagsAny = ["odd", "missing"] }), Ct);
        Assert.Equal(20, any.Count);
    }

    [Fact]
    public async Task Search_NeverCrossesTenants()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        await index.UpsertAsync(Doc("secret", 1, "acme merger plans") with { Tenant = "acme" }, Ct);
        await index.UpsertAsync(Doc("public", 1, "acme merger rumours") with { Tenant = "globex" }, Ct);

        var globex = await index.SearchAsync(Query("acme merger plans", tenant: "globex"), Ct);

        Assert.Equal("public", Assert.Single(globex).DocumentId);
        Assert.Equal(["acme", "globex"], await index.ListTenantsAsync(Ct));
    }

    [Fact]
    public async Task Search_Exact_AgreesWithGraphSearchOnSmallIndex()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        for (var i = 0; i < 30; i++)
        {
            await index.UpsertAsync(Doc($"d{i}", 1, $"document {i} about topic {i % 7}"), Ct);
        }

        var q = Query("topic 3", k: 5);
        var graph = await index.SearchAsync(q, Ct);
        var exact = await index.SearchAsync(q with { Exact = true }, Ct);

        // Ties may come in any order, so compare the scores rank by rank.
        Assert.Equal(5, exact.Count);
        Assert.Equal(exact.Select(h => Math.Round(h.Score, 3)), graph.Select(h => Math.Round(h.Score, 3)));
    }

    [Fact]
    public async Task Expire_OnlyWhenExpiryUnchanged()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        await index.UpsertAsync(Doc("a", 1, "alpha") with { ExpiresAt = T0.AddSeconds(10) }, Ct);
        await index.UpsertAsync(Doc("b", 1, "beta") with { ExpiresAt = T0.AddSeconds(20) }, Ct);
        await index.UpsertAsync(Doc("c", 1, "gamma") with { ExpiresAt = T0.AddSeconds(99) }, Ct);

        var due = await index.DueForExpiryAsync("default", T0.AddSeconds(30), 10, Ct);
        Assert.Equal(["a", "b"], due.Select(d => d.Id));

        // b is updated with a later expiry after it was picked: it must survive.
        await index.UpsertAsync(Doc("b", 2, "beta") with { ExpiresAt = T0.AddSeconds(500) }, Ct);
        Assert.True(await index.ExpireAsync("default", "a", due[0].ExpiresAt, Ct));
        Assert.False(await index.ExpireAsync("default", "a", due[0].ExpiresAt, Ct));
        Assert.False(await index.ExpireAsync("default", "b", due[1].ExpiresAt, Ct));

        Assert.Equal(["beta", "gamma"], (await index.SearchAsync(Query("alpha beta gamma"), Ct)).Select(h => h.Content).Order());
        Assert.Empty(await index.DueForExpiryAsync("default", T0.AddSeconds(30), 10, Ct));
        Assert.Equal(IndexWriteResult.Stale, await index.UpsertAsync(Doc("a", 1, "alpha"), Ct));
    }

    [Fact]
    public async Task Stats_CountVectorsAndMemory()
    {
        await using var scope = NewScope();
        var index = await CreateIndexAsync(scope);
        await index.UpsertAsync(Doc("a", 1, "one", "two") with { Tenant = "x" }, Ct);
        await index.UpsertAsync(Doc("b", 1, "three") with { Tenant = "y" }, Ct);

        var stats = await index.GetStatsAsync(Ct);

        Assert.Equal((2, 3L), (stats.Tenants, stats.Vectors));
        Assert.True(stats.MemoryBytes > 3 * 384 / 4);
    }
}

/// <summary>The contract, kept by the Redis 8 vector-set engine.</summary>
public sealed class VectorSetIndexContractTests(RedisServerFixture redis) : IndexContractTests
{
    protected override ITestRedisServer Server => redis;

    protected override Task<IndexUnderTest> CreateIndexAsync(TestScope scope, int dimensions = 384) => Task.FromResult(scope.Index(dimensions));

    protected override Task<bool> ChunkStoredAsync(TestScope scope, string tenant, string documentId, int chunk) =>
        scope.Db.HashExistsAsync(scope.Keys.PartitionOf(tenant, documentId).Document(documentId), $"c:{chunk}");
}

/// <summary>
/// The same contract, kept by the Redis Query Engine engine. Runs against STREAMRAG_TEST_SEARCH_REDIS
/// or a Testcontainers redis:8; skipped with the reason where neither exists.
/// </summary>
public sealed class SearchIndexContractTests(SearchServerFixture search) : IndexContractTests
{
    protected override ITestRedisServer Server => search.Require();

    protected override async Task<IndexUnderTest> CreateIndexAsync(TestScope scope, int dimensions = 384) =>
        scope.Over(await search.CreateIndexAsync(scope, new IndexOptions { Dimensions = dimensions }));

    protected override Task<bool> ChunkStoredAsync(TestScope scope, string tenant, string documentId, int chunk) =>
        scope.Db.KeyExistsAsync(scope.Keys.PartitionOf(tenant, documentId).Chunk(documentId, chunk));
}
