using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.IntegrationTests;

/// <summary>
/// Spam cannot blind a tenant (issue 12). Identical vectors close themselves off in an HNSW graph:
/// before the guards, a 1 MB document of one repeated word arriving in the same batch as the demo
/// corpus made 1,250 identical passages, after which no bundled question found its document, queries
/// filtered by source returned nothing and no corpus passage found itself (docs/faults.md).
/// </summary>
public sealed class SpamDocumentTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneWordMegabyte_InTheCorpusBatch_BundledQuestionsStillFindTheirDocuments()
    {
        await using var scope = new TestScope(redis);
        var corpus = await CorpusAsync();
        // 1,000,000 bytes, the largest content the contract accepts: 1,250 passages of "spam".
        var spam = string.Concat(Enumerable.Repeat("spam ", 200_000));

        // Everything is queued before the embedder starts, so its first read takes the corpus and
        // the spam together, in that order (the order that left nothing reachable).
        await EnqueueAsync(scope, corpus.Select(d => Upsert(d.Id, d.Content, "demo")).Append(Upsert("spam", spam, "spam")));
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await WaitDrainedAsync(scope);

        await AssertCorpusFoundAsync(scope, corpus);
        var spamState = await scope.Index().GetStateAsync("default", "spam", Ct);
        Assert.Equal(1, spamState?.Chunks);
    }

    [Fact]
    public async Task NearDuplicatePassages_OfOneDocument_AreStoredOnce()
    {
        await using var scope = new TestScope(redis);
        var corpus = await CorpusAsync();
        // 963,600 bytes whose passages each differ by a word or two: no two texts are equal, but their
        // vectors nearly are (cosine 0.99997).
        var random = new Random(7);
        var spam = string.Join(' ', Enumerable.Range(0, 1200).Select(_ => string.Concat(Enumerable.Repeat("spam ", 159)) + Word(random)));

        await EnqueueAsync(scope, corpus.Select(d => Upsert(d.Id, d.Content, "demo")).Append(Upsert("spam", spam, "spam")));
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await WaitDrainedAsync(scope);

        await AssertCorpusFoundAsync(scope, corpus);
        var spamState = await scope.Index().GetStateAsync("default", "spam", Ct);
        Assert.InRange(spamState!.Chunks, 1, 3);
    }

    [Fact]
    public async Task ManyIdenticalDocuments_AreCappedInTheGraph_TheCorpusStaysReachable()
    {
        await using var scope = new TestScope(redis);
        var corpus = await CorpusAsync();
        // Boilerplate across documents: 400 short tickets with the same text (one identical vector
        // each), and 100 whose words are all stop words ("it is what it is"): the hashing embedder
        // gives every such text the same vector.
        var copies = Enumerable.Range(0, 400).Select(i => Upsert($"ticket-{i}", "Thank you for contacting support.", "tickets"))
            .Concat(Enumerable.Range(0, 100).Select(i => Upsert($"shrug-{i}", "It is what it is.", "tickets")));

        await EnqueueAsync(scope, corpus.Select(d => Upsert(d.Id, d.Content, "demo")).Concat(copies));
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await WaitDrainedAsync(scope);

        await AssertCorpusFoundAsync(scope, corpus);
        var vset = scope.Keys.PartitionOf("default", "ticket-0").VectorSet;
        var corpusPassages = await CorpusPassagesAsync(scope, corpus);
        // 32 linked copies of each text (Index:MaxDuplicatePassages); every other copy is stored, unlinked.
        Assert.Equal(corpusPassages.Count + 64, await scope.Db.VectorSetLengthAsync(vset));
        var unlinked = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => scope.Db.HashGetAsync(scope.Keys.PartitionOf("default", $"ticket-{i}").Document($"ticket-{i}"), "unlinked")));
        Assert.Equal(400 - 32, unlinked.Count(u => u == 1));
    }

    [Fact]
    public async Task LinkedCopies_AreCountedExactly_DeletedAndExpiredOnesMakeRoomForNewCopies()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index(dimensions: 4);
        var copy = new float[] { 0.5f, 0.5f, 0.5f, 0.5f };
        IndexedDocument Copy(string id, long version = 1, DateTimeOffset? expiresAt = null) =>
            new("default", id, version, $"h-{id}-{version}", "tickets", DateTimeOffset.UnixEpoch, [], expiresAt, [new IndexedChunk(0, "Thank you.", copy)]);
        var expiring = DateTimeOffset.UtcNow.AddSeconds(-1);
        async Task<long> LinkedAsync(string id) =>
            1 - (long)await scope.Db.HashGetAsync(scope.Keys.PartitionOf("default", id).Document(id), "unlinked");

        // 40 documents with the one vector: the first 32 are linked, the rest stored unlinked.
        for (var i = 0; i < 40; i++)
        {
            await index.UpsertAsync(Copy($"t{i}", expiresAt: i < 3 ? expiring : null), Ct);
        }

        var partition = scope.Keys.PartitionOf("default", "t0");
        Assert.Equal(32, await scope.Db.VectorSetLengthAsync(partition.VectorSet));
        Assert.Equal(32, (long)(await scope.Db.HashValuesAsync(partition.LinkedCopies)).Single());

        // Two linked copies deleted, three expired, one re-embedded under a new version (it replaces
        // its own linked copy, so it stays linked): five places free up, and the next five new copies take them.
        await index.DeleteAsync("default", "t10", 2, Ct);
        await index.DeleteAsync("default", "t11", 2, Ct);
        Assert.Equal(3, (await index.ExpireBatchAsync("default", await index.DueForExpiryAsync("default", DateTimeOffset.UtcNow, 10, Ct), DateTimeOffset.UtcNow, Ct)).Count);
        await index.UpsertAsync(Copy("t20", version: 2), Ct);
        Assert.Equal(1, await LinkedAsync("t20"));
        for (var i = 40; i < 50; i++)
        {
            await index.UpsertAsync(Copy($"t{i}"), Ct);
        }

        var linked = await Task.WhenAll(Enumerable.Range(40, 10).Select(i => LinkedAsync($"t{i}")));
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 }, linked);
        Assert.Equal(32, await scope.Db.VectorSetLengthAsync(partition.VectorSet));
        Assert.Equal(32, (long)(await scope.Db.HashValuesAsync(partition.LinkedCopies)).Single());
    }

    [Fact]
    public async Task PassagesWithNothingToSearchBy_AreNotStored()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Chunking:Size", "8"), ("Chunking:Overlap", "0"));
        var index = scope.Index();
        // Three 8-word chunks: words, then only symbols, then the first chunk again.
        var content = "bees gather pollen and nectar from bright flowers " + string.Join(' ', Enumerable.Repeat("----", 8)) + " bees gather pollen and nectar from bright flowers";

        await EnqueueAsync(scope, [Upsert("doc", content, "wiki"), Upsert("symbols", "*** --- ***", "wiki")]);
        await WaitDrainedAsync(scope);

        Assert.Equal(1, (await index.GetStateAsync("default", "doc", Ct))?.Chunks);
        Assert.Equal(0, (await index.GetStateAsync("default", "symbols", Ct))?.Chunks);
        var vset = scope.Keys.PartitionOf("default", "doc").VectorSet;
        Assert.Equal(1, await scope.Db.VectorSetLengthAsync(vset));
    }

    [Fact]
    public async Task DocumentOverThePassageLimit_IsDeadLetteredWhole()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Chunking:Size", "8"), ("Chunking:Overlap", "0"), ("Embedder:MaxPassagesPerDocument", "3"));
        var index = scope.Index();
        var random = new Random(3);
        string Passage() => string.Join(' ', Enumerable.Range(0, 8).Select(_ => Word(random)));

        await EnqueueAsync(scope, [Upsert("fits", $"{Passage()} {Passage()} {Passage()}", "wiki"), Upsert("long", $"{Passage()} {Passage()} {Passage()} {Passage()}", "wiki")]);
        await WaitDrainedAsync(scope);

        Assert.Equal(3, (await index.GetStateAsync("default", "fits", Ct))?.Chunks);
        Assert.Null(await index.GetStateAsync("default", "long", Ct));
        var dead = Assert.Single(await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters));
        Assert.Equal("long", dead["id"]);
        Assert.StartsWith("too_large: the document makes 4 distinct passages; the limit is 3 (Embedder:MaxPassagesPerDocument)", dead["dlq_reason"].ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Each bundled question finds its document first, unfiltered and filtered by source (with a
    /// full page of results), and every corpus passage is found by its own vector.
    /// </summary>
    private static async Task AssertCorpusFoundAsync(TestScope scope, IReadOnlyList<(string Id, string Content)> corpus)
    {
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);
        var demoOnly = QueryFilters.None with { Sources = ["demo"] };
        var failures = new List<string>();
        foreach (var (question, expected) in await QuestionsAsync())
        {
            var unfiltered = await client.QueryAsync(question, new QueryOptions { K = 3 }, Ct);
            var filtered = await client.QueryAsync(question, new QueryOptions { K = 3, Filters = demoOnly }, Ct);
            if (TopId(unfiltered) != expected)
            {
                failures.Add($"unfiltered '{question}': {Describe(unfiltered)}");
            }

            if (TopId(filtered) != expected || filtered.Results.Count != 3)
            {
                failures.Add($"filtered '{question}': {Describe(filtered)}");
            }
        }

        var vset = scope.Keys.PartitionOf("default", corpus[0].Id).VectorSet;
        foreach (var passage in await CorpusPassagesAsync(scope, corpus))
        {
            var found = (RedisResult[])(await scope.Db.ExecuteAsync("VSIM", vset, "ELE", passage, "COUNT", 3))!;
            if (!found.Any(f => (string?)f == passage))
            {
                failures.Add($"{passage} does not find itself: {string.Join(", ", found.Select(f => (string?)f))}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private static string? TopId(QueryReply reply) => reply.Results.Count > 0 ? reply.Results[0].Id : null;

    private static string Describe(QueryReply reply) =>
        reply.Status == QueryReply.StatusOk
            ? $"{reply.Results.Count} results: {string.Join(", ", reply.Results.Select(r => $"{r.Id}#{r.Chunk} {r.Score:0.000}"))}"
            : $"error {reply.Error?.Code}";

    private static async Task<List<string>> CorpusPassagesAsync(TestScope scope, IReadOnlyList<(string Id, string Content)> corpus)
    {
        var index = scope.Index();
        var names = new List<string>();
        foreach (var (id, _) in corpus)
        {
            var state = await index.GetStateAsync("default", id, Ct);
            Assert.NotNull(state);
            names.AddRange(Enumerable.Range(0, state.Chunks).Select(i => $"{id}#{i}"));
        }

        return names;
    }

    private static async Task<IReadOnlyList<(string Id, string Content)>> CorpusAsync()
    {
        var files = Directory.GetFiles(Path.Combine(RedisServerFixture.RepositoryRoot(), "demo", "corpus"), "*.md").Order(StringComparer.Ordinal);
        var corpus = new List<(string, string)>();
        foreach (var file in files)
        {
            corpus.Add((Path.GetFileNameWithoutExtension(file), await File.ReadAllTextAsync(file, Ct)));
        }

        return corpus;
    }

    /// <summary>
    /// The bundled questions that share words with their answer: these scenarios run the hashing
    /// embedder (word matching), which cannot answer the paraphrased ones with or without spam.
    /// </summary>
    private static async Task<IReadOnlyList<(string Question, string Expected)>> QuestionsAsync() =>
        (await File.ReadAllLinesAsync(Path.Combine(RedisServerFixture.RepositoryRoot(), "demo", "questions.tsv"), Ct))
            .Select(l => l.Split('\t'))
            .Where(p => p.Length == 3 && p[2] == "words")
            .Select(p => (p[0], p[1]))
            .ToArray();

    private static NameValueEntry[] Upsert(string id, string content, string source) =>
        [new("id", id), new("version", 1), new("source", source), new("content", content)];

    private static async Task EnqueueAsync(TestScope scope, IEnumerable<NameValueEntry[]> events)
    {
        foreach (var e in events)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, e);
        }
    }

    private static Task WaitDrainedAsync(TestScope scope) =>
        TestScope.EventuallyAsync(async () =>
        {
            var info = (await scope.Db.StreamGroupInfoAsync(scope.Keys.DocumentEvents)).FirstOrDefault(g => g.Name == scope.Keys.EmbedderGroup);
            return info.Name is not null && info.PendingMessageCount == 0 && (info.Lag ?? 0) == 0;
        }, "the embedder has processed every event", TimeSpan.FromSeconds(60));

    private static string Word(Random random) => new(Enumerable.Range(0, 7).Select(_ => (char)('a' + random.Next(26))).ToArray());
}
