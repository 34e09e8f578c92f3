using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StreamRag.Hosting;
using StreamRag.Index;
using StreamRag.Index.Search;

namespace StreamRag.IntegrationTests;

/// <summary>Engine choice at host start-up, against the shared Redis 8 (which, locally, has no Query Engine) and, where there is one, a server with the Query Engine.</summary>
public sealed class IndexEngineSelectionTests(RedisServerFixture redis, SearchServerFixture search)
{
    [Fact]
    public async Task Auto_PicksVectorSets_AtStartUp()
    {
        await using var scope = new TestScope(redis);

        var host = await scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "auto"));

        var selected = host.Services.GetRequiredService<SelectedVectorIndex>();
        Assert.Equal(IndexEngineChoice.VectorSet, selected.EngineName);
        Assert.Equal(selected.EngineName, (await IndexManifestStore.ReadAsync(scope.Db, scope.Keys))?.Engine);
        Assert.Same(selected, host.Services.GetRequiredService<IVectorIndex>());
    }

    /// <summary>Issue 19: the Query Engine retrieves no better, so auto does not pick it even where the server has it; search still does.</summary>
    [Fact]
    public async Task Auto_OnAServerWithTheQueryEngine_PicksVectorSets_SearchPicksTheQueryEngine()
    {
        await using var scope = new TestScope(search.Require());
        await using var other = new TestScope(search.Require());
        other.Defer(() => SearchServerFixture.DropIndexAsync(other));

        var auto = await scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "auto"));
        var configured = await other.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "search"));

        Assert.Equal(IndexEngineChoice.VectorSet, auto.Services.GetRequiredService<SelectedVectorIndex>().EngineName);
        Assert.Equal(IndexEngineChoice.Search, configured.Services.GetRequiredService<SelectedVectorIndex>().EngineName);
        var indexes = ((RedisResult[])(await scope.Db.ExecuteAsync("FT._LIST"))!).Select(r => (string)r!).ToArray();
        Assert.DoesNotContain(indexes, n => n.StartsWith(scope.Keys.SearchIndexAlias, StringComparison.Ordinal));
        Assert.Contains(indexes, n => n.StartsWith(other.Keys.SearchIndexAlias, StringComparison.Ordinal));
    }

    [Fact]
    public async Task VectorSet_Configured_IsUsedWithoutProbing()
    {
        await using var scope = new TestScope(redis);

        var host = await scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "vectorset"));

        var index = host.Services.GetRequiredService<IVectorIndex>();
        await index.UpsertAsync(new IndexedDocument("default", "d", 1, "h", "wiki", DateTimeOffset.UnixEpoch, [], null,
            [new IndexedChunk(0, "bees", TestScope.Embedder.Embed("bees"))]), TestContext.Current.CancellationToken);
        Assert.Equal(IndexEngineChoice.VectorSet, host.Services.GetRequiredService<SelectedVectorIndex>().EngineName);
        Assert.True(await scope.Db.KeyExistsAsync(scope.Keys.PartitionOf("default", "d").VectorSet));
    }

    [Fact]
    public async Task Search_ConfiguredOnAServerWithoutIt_StopsStartUp()
    {
        await using var scope = new TestScope(redis);
        if ((await SearchIndexAdmin.ProbeAsync(scope.Db)).Available)
        {
            Assert.Skip("this server has the Query Engine; the refusal is only observable on one without it");
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "search")));

        Assert.Contains("no Query Engine", error.Message, StringComparison.Ordinal);
    }
}
