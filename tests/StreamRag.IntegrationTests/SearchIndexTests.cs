using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Telemetry;

namespace StreamRag.IntegrationTests;

/// <summary>
/// What only the Query Engine engine does: hybrid search, the schema check, migration and FT.INFO
/// statistics. Needs a Query Engine server (see <see cref="SearchServerFixture"/>); skipped without one.
/// </summary>
public sealed class SearchIndexTests(SearchServerFixture search)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IndexedDocument Doc(string id, string text, string tenant = "default", params string[] tags) => new(
        tenant, id, 1, $"hash-{id}", "wiki", T0, tags, null, [new IndexedChunk(0, text, TestScope.Embedder.Embed(text))]);

    private static VectorQuery Query(string vectorText, string? text, int k = 5, QueryFilters? filters = null) =>
        new("default", TestScope.Embedder.Embed(vectorText), k, filters ?? QueryFilters.None, null, Text: text);

    private TestScope Scope([System.Runtime.CompilerServices.CallerMemberName] string test = "") => new(search.Require(), test: test);

    private static SearchIndexOptions Search(Action<SearchIndexOptions> configure)
    {
        var options = new SearchIndexOptions();
        configure(options);
        return options;
    }

    private static IndexOptions Options(Action<IndexOptions>? configure = null)
    {
        var options = new IndexOptions();
        configure?.Invoke(options);
        return options;
    }

    /// <summary>What the full-text side found, in its order: with VectorWeight 0 the vector side's candidates follow with score 0.</summary>
    private static async Task<SearchHit[]> TextHitsAsync(IVectorIndex index, string text) =>
        (await index.SearchAsync(Query("anything", text), Ct)).Where(h => h.Score > 0).ToArray();

    private static async Task SeedAsync(IVectorIndex index)
    {
        await index.UpsertAsync(Doc("bees", "honeybees live in a hive ruled by a queen"), Ct);
        await index.UpsertAsync(Doc("lava", "volcanoes erupt when magma rises through the crust"), Ct);
        await index.UpsertAsync(Doc("tea", "the tea ceremony values harmony respect and tranquillity"), Ct);
        await index.UpsertAsync(Doc("xylo", "a xylophone is a percussion instrument of wooden bars"), Ct);
        await index.UpsertAsync(Doc("secret", "xylophone tuning notes of another company", tenant: "other"), Ct);
    }

    [Fact]
    public async Task Hybrid_TextOnlyWeight_RanksTheDocumentThatContainsTheWordsFirst()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => o.VectorWeight = 0));
        await SeedAsync(index);

        // The vector points at volcanoes; the words point at the xylophone.
        var hits = await index.SearchAsync(Query("volcanoes magma crust", "tell me about the xylophone"), Ct);

        Assert.Equal("xylo", hits[0].DocumentId);
        Assert.DoesNotContain(hits, h => h.DocumentId == "secret");
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("client")]
    public async Task Hybrid_Linear_ScoreIsTheSimilarityPlusTheTextWeightForTheBestTextMatch(string fusion)
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => o.Fusion = fusion));
        await SeedAsync(index);

        var hits = await index.SearchAsync(Query("honeybees hive queen", "queen hive", k: 3), Ct);

        Assert.Equal("bees", hits[0].DocumentId);
        // The best text match gains the whole text weight (0.02) over its similarity, (1 + cosine) / 2.
        var similarity = (1 + System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(TestScope.Embedder.Embed("honeybees hive queen"), TestScope.Embedder.Embed("honeybees live in a hive ruled by a queen"))) / 2;
        Assert.Equal(similarity + 0.02, hits[0].Score, 5);
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public async Task Hybrid_Rrf_ScoresAreWeightedReciprocalRanks()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => (o.Combine, o.TextWeight) = ("rrf", 0.5)));
        await SeedAsync(index);

        var hits = await index.SearchAsync(Query("honeybees hive queen", "queen hive", k: 3), Ct);

        Assert.Equal("bees", hits[0].DocumentId);
        // First in both rankings: (1 + 0.5) / (60 + 1).
        Assert.Equal(1.5 / 61, hits[0].Score, 9);
    }

    /// <summary>Whether the server runs FT.HYBRID, asked differently from the engine's probe (COMMAND INFO).</summary>
    private async Task<bool> ServerHasHybridAsync()
    {
        var info = (RedisResult[])(await search.Require().Connection.GetDatabase().ExecuteAsync("COMMAND", "INFO", "FT.HYBRID"))!;
        return info.Length == 1 && !info[0].IsNull;
    }

    [Fact]
    public async Task Hybrid_FusesOnTheServer_ExactlyWhereTheServerRunsFtHybrid()
    {
        await using var scope = Scope();
        var auto = await search.CreateIndexAsync(scope, Options());

        Assert.Equal(await ServerHasHybridAsync() ? "server" : "client", auto.HybridFusion);
    }

    [Fact]
    public async Task Hybrid_ClientSetting_OrRrfWithUnequalWeights_FuseInTheClient()
    {
        await using var scope = Scope();
        var client = await search.CreateIndexAsync(scope, Search(o => o.Fusion = "client"));
        var weighted = new SearchVectorIndex(scope.Connections(), scope.Keys, Microsoft.Extensions.Options.Options.Create(Options()), NullLogger<SearchVectorIndex>.Instance,
            searchOptions: Microsoft.Extensions.Options.Options.Create(Search(o => (o.Combine, o.TextWeight) = ("rrf", 0.5))));
        await weighted.EnsureIndexAsync(Ct);

        Assert.Equal(("client", "client"), (client.HybridFusion, weighted.HybridFusion));
        weighted.Dispose();
    }

    [Theory]
    [InlineData("linear", 0.02)]
    [InlineData("rrf", 1.0)]
    public async Task Hybrid_ServerFusion_RanksAndScoresAsTheClientFusion_WithEveryField(string combine, double textWeight)
    {
        if (!await ServerHasHybridAsync())
        {
            Assert.Skip("the server has no FT.HYBRID (Redis 8.4 or newer): the client fusion is what runs here");
        }

        await using var scope = Scope();
        var server = await search.CreateIndexAsync(scope, Search(o => (o.Combine, o.TextWeight) = (combine, textWeight)));
        var client = search.CreateIndex(scope, Search(o => (o.Combine, o.TextWeight, o.Fusion) = (combine, textWeight, "client")));
        await SeedAsync(server);
        await server.UpsertAsync(Doc("hive-notes", "notes on\nhive queen bees", tags: ["bees", "notes"]), Ct);

        var query = Query("volcanoes magma crust", "queen hive xylophone", k: 4);
        var fused = await server.SearchAsync(query, Ct);
        var expected = await client.SearchAsync(query, Ct);

        Assert.Equal("server", server.HybridFusion);
        Assert.Equal(expected.Select(h => (h.DocumentId, h.Chunk)), fused.Select(h => (h.DocumentId, h.Chunk)));
        Assert.Equal(expected.Select(h => Math.Round(h.Score, 5)), fused.Select(h => Math.Round(h.Score, 5)));
        var notes = Assert.Single(fused, h => h.DocumentId == "hive-notes");
        Assert.Equal(("notes on\nhive queen bees", "wiki", T0, "bees,notes"), (notes.Content, notes.Source, notes.Timestamp, string.Join(',', notes.Tags)));
        Assert.DoesNotContain(fused, h => h.DocumentId == "secret");
    }

    [Fact]
    public async Task Hybrid_ServerFusion_WordsAreVerbatim_AndQuerySyntaxIsInert()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => (o.TextWeight, o.HybridCandidates) = (1, 2)));
        await index.UpsertAsync(Doc("runs", "the queen runs the colony"), Ct);
        await index.UpsertAsync(Doc("running", "running a marathon in the rain"), Ct);
        await index.UpsertAsync(Doc("far1", "volcanoes erupt"), Ct);
        await index.UpsertAsync(Doc("far2", "magma rises"), Ct);
        await index.UpsertAsync(Doc("secret", "running secret", tenant: "other"), Ct);

        // K 1 on each side: the vector side brings one volcano page, the text side the one page with "running".
        var hits = await index.SearchAsync(Query("volcanoes erupt", "running\" @tenant:{other} | *", k: 4) with { K = 2 }, Ct);

        Assert.Contains(hits, h => h.DocumentId == "running");
        Assert.DoesNotContain(hits, h => h.DocumentId is "runs" or "secret");
    }

    [Fact]
    public async Task Hybrid_TextSide_KeepsTheFilters_AndTheTenant()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => o.VectorWeight = 0));
        await SeedAsync(index);
        await index.UpsertAsync(Doc("xylo-tagged", "xylophone lessons for children", tags: ["music"]), Ct);

        var hits = await index.SearchAsync(Query("anything", "xylophone @tenant:{other} | secret", filters: QueryFilters.None with { TagsAll = ["music"] }), Ct);

        Assert.Equal("xylo-tagged", Assert.Single(hits).DocumentId);
    }

    [Fact]
    public async Task FullText_ScoresWithBm25Std_MoreMatchedWordsWin_HoweverFarApart()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => o.VectorWeight = 0));
        static string Filler(int from, int count) => string.Join(' ', Enumerable.Range(from, count).Select(i => $"filler{i}"));
        // Same length; "spread" matches all three words, 40 words apart; "single" matches one. TFIDF
        // and the legacy BM25 divide by the distance between matched words and rank "single" first.
        await index.UpsertAsync(Doc("spread", $"alpha {Filler(0, 40)} beta {Filler(40, 40)} gamma"), Ct);
        await index.UpsertAsync(Doc("single", $"alpha {Filler(100, 82)}"), Ct);
        await index.UpsertAsync(Doc("other1", "delta epsilon zeta"), Ct);
        await index.UpsertAsync(Doc("other2", "eta theta iota"), Ct);

        var hits = await TextHitsAsync(index, "alpha beta gamma");

        Assert.Equal(["spread", "single"], hits.Select(h => h.DocumentId));
    }

    [Fact]
    public async Task FullText_LineBreaksSeparateWords_AndTheTextComesBackAsWritten()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => o.VectorWeight = 0));
        await index.UpsertAsync(Doc("bees", "honeybees live in a hive\nruled by a queen"), Ct);
        await index.UpsertAsync(Doc("lava", "volcanoes erupt when magma rises"), Ct);

        // Unflattened, the tokenizer would index "hive\nruled" as one word that neither query word matches.
        var hit = Assert.Single(await TextHitsAsync(index, "ruled"));

        Assert.Equal(("bees", "honeybees live in a hive\nruled by a queen"), (hit.DocumentId, hit.Content));
        Assert.Equal("bees", Assert.Single(await TextHitsAsync(index, "hive")).DocumentId);
    }

    [Fact]
    public async Task FullText_IsVerbatim_AWordDoesNotMatchOtherWordsOfItsStem()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => o.VectorWeight = 0));
        await index.UpsertAsync(Doc("runs", "the queen runs the colony"), Ct);
        await index.UpsertAsync(Doc("running", "running a marathon in the rain"), Ct);

        // With stemming, "running" would expand to "run" and match "runs" too.
        var hits = await TextHitsAsync(index, "running");

        Assert.Equal("running", Assert.Single(hits).DocumentId);
    }

    [Fact]
    public async Task Watches_WithTheQueryEngineEngine_NotifyTheMatchingPassageOnly_AndItIsSearchable()
    {
        await using var scope = Scope();
        try
        {
            await scope.StartEmbedderAsync(("Index:Engine", "search"));
            await scope.StartQueryWorkerAsync(("Index:Engine", "search"));
            await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);
            var notifyTo = scope.Keys.WatchStreamPrefix + "desk";
            await client.RegisterWatchAsync("honeybee queen lays eggs in the hive", new WatchQueryOptions { Threshold = 0.75, NotifyTo = notifyTo }, Ct);

            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "magma"), new("version", 1), new("content", "volcanoes erupt when magma rises to the surface")]);
            var last = await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "queen"), new("version", 1), new("content", "the honeybee queen lays eggs in the hive every spring")]);
            await TestScope.EventuallyAsync(async () => (await scope.Db.StreamGroupInfoAsync(scope.Keys.DocumentEvents)) is [{ PendingMessageCount: 0 } group] && group.LastDeliveredId == last, "both events are handled");

            Assert.Equal(["queen"], (await scope.Db.StreamRangeAsync(notifyTo)).Select(e => (string?)e[WatchNotificationFields.DocumentId]));
            var reply = await client.QueryAsync("honeybee queen eggs", new QueryOptions { K = 1 }, Ct);
            Assert.Equal("queen", Assert.Single(reply.Results).Id);
        }
        finally
        {
            foreach (var name in (RedisResult[])(await scope.Db.ExecuteAsync("FT._LIST"))!)
            {
                if (((string?)name)?.StartsWith(scope.Prefix, StringComparison.Ordinal) == true)
                {
                    await scope.Db.ExecuteAsync("FT.DROPINDEX", (string)name!);
                }
            }
        }
    }

    [Fact]
    public async Task Ensure_OverStoredChunks_ReturnsOnlyOnceTheyAreAllIndexed()
    {
        await using var scope = Scope();
        // Chunks written before any index exists (the write scripts need no FT command), as when a
        // fleet moves to the Query Engine engine or an index is re-created: FT.CREATE scans them in the background.
        var index = search.CreateIndex(scope, Options());
        const int Stored = 3000;
        for (var start = 0; start < Stored; start += 100)
        {
            await Task.WhenAll(Enumerable.Range(start, 100).Select(i => index.UpsertAsync(Doc($"d{i}", $"stored chunk number {i}"), Ct)));
        }

        var status = await index.EnsureIndexAsync(Ct);

        Assert.False(status.Indexing);
        Assert.Equal((1.0, (long)Stored), (status.PercentIndexed, status.Documents));
        var info = await SearchIndexAdmin.InfoAsync(scope.Db, scope.Keys.SearchIndexAlias);
        Assert.Equal(Stored, info!.Documents);
    }

    [Fact]
    public async Task Exact_IgnoresTheText_AndMatchesTheGraphSearch()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Options());
        await SeedAsync(index);

        var exact = await index.SearchAsync(Query("volcanoes magma", "xylophone") with { Exact = true }, Ct);
        var graph = await index.SearchAsync(Query("volcanoes magma", null), Ct);

        Assert.Equal("lava", exact[0].DocumentId);
        Assert.Equal(graph.Select(h => Math.Round(h.Score, 3)), exact.Select(h => Math.Round(h.Score, 3)));
    }

    [Fact]
    public async Task Flat_IndexServesTheSameContract()
    {
        await using var scope = Scope();
        var index = await search.CreateIndexAsync(scope, Search(o => o.Algorithm = "FLAT"));
        await SeedAsync(index);

        var hits = await index.SearchAsync(Query("honeybees hive queen", null, k: 2), Ct);

        Assert.Equal("bees", hits[0].DocumentId);
        Assert.Equal(2, hits.Count);
    }

    [Fact]
    public async Task Start_RunningIndexWithAnotherSchema_IsReportedNotReusedNorDropped()
    {
        await using var scope = Scope();
        var first = await search.CreateIndexAsync(scope, Options());
        await SeedAsync(first);
        await first.EnsureIndexAsync(Ct);

        var changed = search.CreateIndex(scope, Options(o => o.M = 32));
        var error = await Assert.ThrowsAsync<IndexSchemaMismatchException>(() => changed.EnsureIndexAsync(Ct));
        Assert.Contains("vec.M: running 16, configured 32", error.Differences);
        Assert.Contains("migrate", error.Message, StringComparison.Ordinal);

        var tolerant = search.CreateIndex(scope, Options(o => o.M = 32), Search(o => o.OnSchemaMismatch = "warn"));
        Assert.False((await tolerant.EnsureIndexAsync(Ct)).Matches);
        Assert.Equal("bees", (await tolerant.SearchAsync(Query("honeybees hive queen", null), Ct))[0].DocumentId);
    }

    [Fact]
    public async Task Migrate_BuildsTheNewIndex_SwitchesTheAlias_DropsTheOld_KeepsTheChunks()
    {
        await using var scope = Scope();
        var first = await search.CreateIndexAsync(scope, Options());
        await SeedAsync(first);
        // Read afresh: the index's own status is cached from before the documents were seeded.
        var before = (await new SearchIndexAdmin(scope.Keys, Options()).InspectAsync(scope.Db, Ct))!;
        Assert.Equal(5, before.Documents);
        var admin = new SearchIndexAdmin(scope.Keys, Options(o => o.M = 32));
        var progress = new List<string>();

        var result = await admin.MigrateAsync(scope.Db, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(2), progress.Add, TimeProvider.System, Ct);

        Assert.True(result.Switched, result.Message);
        Assert.Equal(before.PhysicalName, result.From);
        Assert.EndsWith(":v2", result.To, StringComparison.Ordinal);
        Assert.NotEmpty(progress);
        var after = await admin.InspectAsync(scope.Db, Ct);
        Assert.Equal(result.To, after!.PhysicalName);
        Assert.True(after.Matches);
        Assert.Equal(before.Documents, after.Documents);
        Assert.Null(await SearchIndexAdmin.InfoAsync(scope.Db, before.PhysicalName));
        var migrated = await search.CreateIndexAsync(scope, Options(o => o.M = 32));
        Assert.Equal("bees", (await migrated.SearchAsync(Query("honeybees hive queen", null), Ct))[0].DocumentId);
    }

    [Fact]
    public async Task Migrate_WritesWhileTheNewIndexScans_AreRefused_AndTheAliasStays()
    {
        await using var scope = Scope();
        var first = await search.CreateIndexAsync(scope, Options());
        await SeedAsync(first);
        var before = await first.EnsureIndexAsync(Ct);
        var admin = new SearchIndexAdmin(scope.Keys, Options(o => o.M = 32));
        var wrote = false;

        // An embedder still running: a document arrives once the new index exists and is scanning.
        var result = await admin.MigrateAsync(scope.Db, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(2), line =>
        {
            if (!wrote && line.Contains("indexed", StringComparison.Ordinal))
            {
                wrote = true;
                first.UpsertAsync(Doc("late", "written during the migration"), Ct).GetAwaiter().GetResult();
            }
        }, TimeProvider.System, Ct);

        Assert.True(wrote);
        Assert.False(result.Switched);
        Assert.Contains("Stop the embedders", result.Message, StringComparison.Ordinal);
        Assert.Equal(before.PhysicalName, (await admin.InspectAsync(scope.Db, Ct))!.PhysicalName);
        Assert.Null(await SearchIndexAdmin.InfoAsync(scope.Db, result.To));
    }

    [Fact]
    public async Task Migrate_ChangedDimension_IsRefused_AndTheAliasStays()
    {
        await using var scope = Scope();
        var first = await search.CreateIndexAsync(scope, Options());
        await SeedAsync(first);
        var before = await first.EnsureIndexAsync(Ct);
        var admin = new SearchIndexAdmin(scope.Keys, Options(o => o.Dimensions = 128));

        var result = await admin.MigrateAsync(scope.Db, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(2), _ => { }, TimeProvider.System, Ct);

        Assert.False(result.Switched);
        Assert.Contains("re-embedding", result.Message, StringComparison.Ordinal);
        Assert.Equal(before.PhysicalName, (await admin.InspectAsync(scope.Db, Ct))!.PhysicalName);
        Assert.Null(await SearchIndexAdmin.InfoAsync(scope.Db, result.To));
    }

    [Fact]
    public async Task Stats_ComeFromFtInfo_AndAreExportedAsGauges()
    {
        await using var scope = Scope();
        using var meters = new TestMeterFactory();
        var index = new SearchVectorIndex(scope.Connections(), scope.Keys, Microsoft.Extensions.Options.Options.Create(Options()),
            NullLogger<SearchVectorIndex>.Instance, TimeProvider.System, meters);
        scope.Defer(async () =>
        {
            index.Dispose();
            await SearchServerFixture.DropIndexAsync(scope);
        });
        await index.EnsureIndexAsync(Ct);
        await SeedAsync(index);

        var stats = await index.GetStatsAsync(Ct);

        Assert.Equal((2, 5L), (stats.Tenants, stats.Vectors));
        Assert.True(stats.MemoryBytes > 0);
        var measured = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamRagTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => measured[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(5, measured["streamrag.search_index.documents"]);
        Assert.Equal(0, measured["streamrag.search_index.indexing_failures"]);
        Assert.True(measured["streamrag.search_index.memory"] > 0);
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            meters.Add(meter);
            return meter;
        }

        public void Dispose() => meters.ForEach(m => m.Dispose());
    }
}
