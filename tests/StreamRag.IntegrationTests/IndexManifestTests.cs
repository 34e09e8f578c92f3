using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamRag.Hosting;
using StreamRag.Index;
using StreamRag.Index.Search;

namespace StreamRag.IntegrationTests;

/// <summary>
/// One engine per fleet, one model per index (issue 12): the first host records the index manifest,
/// the others adopt it or refuse to start naming both sides. Against the shared Redis, which here has
/// no Query Engine; a manifest that records <c>search</c> is written by the test where it needs one.
/// </summary>
public sealed class IndexManifestTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IndexModel Arctic = new("arctic-embed-xs", "local", 384);

    [Fact]
    public async Task FirstEmbedder_RecordsEngineAndModel_WithWhenAndWho()
    {
        await using var scope = new TestScope(redis);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await scope.StartEmbedderAsync();

        var manifest = await IndexManifestStore.ReadAsync(scope.Db, scope.Keys);
        Assert.NotNull(manifest);
        Assert.Equal("vectorset", manifest.Engine);
        Assert.Equal(new IndexModel("hashing-v1", "hashing", 384), manifest.Model);
        Assert.InRange(manifest.CreatedAt!.Value, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Contains($"pid {Environment.ProcessId}", manifest.CreatedBy, StringComparison.Ordinal);
        Assert.Equal("1", (string?)await scope.Db.HashGetAsync(scope.Keys.IndexManifest, IndexManifestFields.Format));
    }

    [Fact]
    public async Task AutoHost_AdoptsTheRecordedEngine_WithoutProbing()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Index:Engine", "vectorset"));

        // On a server with the Query Engine, auto alone would pick search: the record wins.
        var host = await scope.StartQueryWorkerAsync(("Index:Engine", "auto"));

        Assert.Equal("vectorset", host.Services.GetRequiredService<SelectedVectorIndex>().EngineName);
    }

    [Fact]
    public async Task HostConfiguredWithTheOtherEngine_RefusesToStart_NamingBoth()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Index:Engine", "vectorset"));

        var error = await Assert.ThrowsAsync<IndexManifestConflictException>(() => scope.StartQueryWorkerAsync(("Index:Engine", "search")));

        Assert.Contains("Index:Engine=search", error.Message, StringComparison.Ordinal);
        Assert.Contains("built with the vectorset engine", error.Message, StringComparison.Ordinal);
        Assert.Contains(scope.Keys.IndexManifest.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IndexRecordedWithSearch_VectorSetHostRefuses_AutoHostRefusesOnAServerWithoutIt()
    {
        await using var scope = new TestScope(redis);
        if ((await SearchIndexAdmin.ProbeAsync(scope.Db)).Available)
        {
            Assert.Skip("this server has the Query Engine; an auto host would rightly run the recorded search engine here");
        }

        await IndexManifestStore.RecordAsync(scope.Db, scope.Keys, "search", null, DateTimeOffset.UtcNow, "a host elsewhere");

        var configured = await Assert.ThrowsAsync<IndexManifestConflictException>(() => scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "vectorset")));
        var auto = await Assert.ThrowsAsync<IndexManifestConflictException>(() => scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Engine", "auto")));

        Assert.Contains("Index:Engine=vectorset but the index under prefix", configured.Message, StringComparison.Ordinal);
        Assert.Contains("built with the search engine", configured.Message, StringComparison.Ordinal);
        Assert.Contains("recorded by a host elsewhere", configured.Message, StringComparison.Ordinal);
        Assert.Contains("this Redis server has none", auto.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmbedderWithAnotherModel_RefusesToStart_NamingBoth()
    {
        await using var scope = new TestScope(redis);
        await IndexManifestStore.RecordAsync(scope.Db, scope.Keys, "vectorset", Arctic, DateTimeOffset.UtcNow, "the first embedder");

        var embedder = await Assert.ThrowsAsync<IndexManifestConflictException>(() => scope.StartEmbedderAsync());
        var query = await Assert.ThrowsAsync<IndexManifestConflictException>(() => scope.StartQueryWorkerAsync());

        Assert.Contains("embeds with hashing-v1 (provider hashing, 384 dimensions, float32)", embedder.Message, StringComparison.Ordinal);
        Assert.Contains("built with arctic-embed-xs (provider local, 384 dimensions, float32)", embedder.Message, StringComparison.Ordinal);
        Assert.Contains("recorded by the first embedder", embedder.Message, StringComparison.Ordinal);
        Assert.Equal(embedder.Message, query.Message);
        // The record is untouched by the refused hosts.
        Assert.Equal(Arctic, (await IndexManifestStore.ReadAsync(scope.Db, scope.Keys))?.Model);
    }

    [Fact]
    public async Task ModelPrecision_IsRecordedWithTheModel_NeverAddedToAModelRecordedWithoutOne()
    {
        await using var fresh = new TestScope(redis);
        await using var old = new TestScope(redis);
        var int8 = Arctic with { Precision = "int8" };
        // A manifest written before precisions were recorded: its vectors are float32.
        await old.Db.HashSetAsync(old.Keys.IndexManifest,
            [new("format", 1), new("engine", "vectorset"), new("model", Arctic.Id), new("model_provider", "local"), new("dimensions", 384)]);

        var recorded = await IndexManifestStore.RecordAsync(fresh.Db, fresh.Keys, "vectorset", int8, DateTimeOffset.UtcNow, "an int8 embedder");
        var kept = await IndexManifestStore.RecordAsync(old.Db, old.Keys, "vectorset", int8, DateTimeOffset.UtcNow, "an int8 embedder");

        Assert.Equal(int8, recorded.Model);
        Assert.Equal("int8", (string?)await fresh.Db.HashGetAsync(fresh.Keys.IndexManifest, IndexManifestFields.ModelPrecision));
        Assert.Equal(Arctic, kept.Model);
        Assert.False(await old.Db.HashExistsAsync(old.Keys.IndexManifest, IndexManifestFields.ModelPrecision));
        // The rest of the record is still completed for the old manifest.
        Assert.NotNull(kept.StreamPartitions);
        var error = Assert.Throws<IndexManifestConflictException>(() => IndexManifestRules.CheckModel(int8, kept, old.Keys));
        Assert.Contains("embeds with arctic-embed-xs (provider local, 384 dimensions, int8)", error.Message, StringComparison.Ordinal);
        Assert.Contains("built with arctic-embed-xs (provider local, 384 dimensions, float32)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmbedderWithAnotherDimension_RefusesToStart()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();

        var error = await Assert.ThrowsAsync<IndexManifestConflictException>(() =>
            scope.StartEmbedderAsync(("Index:Dimensions", "256"), ("Embedding:Dimensions", "256")));

        Assert.Contains("hashing-v1 (provider hashing, 256 dimensions, float32)", error.Message, StringComparison.Ordinal);
        Assert.Contains("hashing-v1 (provider hashing, 384 dimensions, float32)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostThatDoesNotEmbed_RecordsOnlyTheEngine_TheFirstEmbedderAddsItsModel()
    {
        await using var scope = new TestScope(redis);
        // The sweeper and monitor are built on the core alone: they neither record nor check a model.
        await IndexManifestStore.RecordAsync(scope.Db, scope.Keys, "vectorset", null, DateTimeOffset.UtcNow, "the sweeper");
        await scope.StartAsync(b => b.AddStreamRagCore(), ("Index:Dimensions", "256"), ("Embedding:Dimensions", "256"));
        Assert.Null((await IndexManifestStore.ReadAsync(scope.Db, scope.Keys))?.Model);

        await scope.StartEmbedderAsync();

        var manifest = await IndexManifestStore.ReadAsync(scope.Db, scope.Keys);
        Assert.Equal("the sweeper", manifest?.CreatedBy);
        Assert.Equal("hashing-v1", manifest?.Model?.Id);
        Assert.Contains($"pid {Environment.ProcessId}", manifest?.ModelRecordedBy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostsRacingToRecord_AllSeeTheSameRecord()
    {
        await using var scope = new TestScope(redis);
        var engines = new[] { "vectorset", "search" };
        var models = new[] { Arctic, new IndexModel("hashing-v1", "hashing", 384) };

        var seen = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            IndexManifestStore.RecordAsync(scope.Db, scope.Keys, engines[i % 2], models[(i / 2) % 2], DateTimeOffset.UtcNow, $"host {i}")));

        Assert.Single(seen.Select(m => (m.Engine, m.Model, m.CreatedBy, m.ModelRecordedBy)).Distinct());
    }

    [Fact]
    public async Task RedisDownAtStartUp_TheHostWaitsAndStartsOnceItAnswers()
    {
        await using var server = await RedisServerFixture.StartDedicatedAsync();
        await using var scope = new TestScope(server);
        await server.ShutdownAsync(save: false);

        var log = new LogCapture();
        var starting = scope.StartAsync(b =>
        {
            Embedder.EmbedderExtensions.AddEmbedderWorker(b);
            b.Logging.AddProvider(log);
        });
        // IndexEngineStartup's "Redis did not answer; retrying" (1411): the host tried, and waits instead of
        // failing or starting. One attempt takes a command timeout (5 s) or more, so it is given a minute.
        await TestScope.EventuallyAsync(() => Task.FromResult(log.Of(1411).Count >= 1), "the host retries while Redis is down", TimeSpan.FromSeconds(60));
        Assert.False(starting.IsCompleted, "the host must not start (or fail) while Redis is down");
        await server.StartAsync();
        var host = await starting.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal("vectorset", host.Services.GetRequiredService<SelectedVectorIndex>().EngineName);
        Assert.Equal("hashing-v1", (await IndexManifestStore.ReadAsync(server.Connection.GetDatabase(), scope.Keys))?.Model?.Id);
    }
}
