using Microsoft.Extensions.DependencyInjection;
using StreamRag.Hosting;
using StreamRag.Index;
using StreamRag.Index.Search;

namespace StreamRag.IntegrationTests;

/// <summary>Engine choice at host start-up, against the shared Redis 8 (which, locally, has no Query Engine).</summary>
public sealed class IndexEngineSelectionTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Auto_PicksWhatTheServerHas_AtStartUp()
    {
        await using var scope = new TestScope(redis);
        var (available, _) = await SearchIndexAdmin.ProbeAsync(scope.Db);
        if (available)
        {
            scope.Defer(() => SearchServerFixture.DropIndexAsync(scope));
        }

        var host = await scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "auto"));

        var selected = host.Services.GetRequiredService<SelectedVectorIndex>();
        Assert.Equal(available ? IndexEngineChoice.Search : IndexEngineChoice.VectorSet, selected.EngineName);
        Assert.Equal(selected.EngineName, (await IndexManifestStore.ReadAsync(scope.Db, scope.Keys))?.Engine);
        Assert.Same(selected, host.Services.GetRequiredService<IVectorIndex>());
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
