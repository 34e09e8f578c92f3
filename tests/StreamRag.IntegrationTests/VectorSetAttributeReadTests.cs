using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.IntegrationTests;

/// <summary>
/// Searches on Redis ≥ 8.2 take whole hits from <c>VSIM … WITHATTRIBS</c>; on 8.0, and for elements
/// written before the attributes carried the text, from the document hashes (HMGET). Both paths must
/// return the same hits. Runs on whichever server the fixture gives: 8.6 by default, 8.0 with
/// STREAMRAG_REDIS_VERSION=8.0.
/// </summary>
public sealed class VectorSetAttributeReadTests(RedisServerFixture redis)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IndexedDocument Doc(string id, string source, string[] tags, int day, params string[] chunks) => new(
        "default", id, 1, $"hash-{id}", source, T0.AddDays(day), tags, null,
        chunks.Select((c, i) => new IndexedChunk(i, c, TestScope.Embedder.Embed(c))).ToArray());

    private static VectorQuery Query(string text, int k = 10, QueryFilters? filters = null) =>
        new("default", TestScope.Embedder.Embed(text), k, filters ?? QueryFilters.None, null);

    private static bool TakesAttributes(ITestRedisServer server) =>
        server.Connection.GetServers().All(s => s.Version >= new Version(8, 2));

    private static IndexUnderTest HashReadsOnly(TestScope scope) =>
        scope.Over(new VectorSetIndex(scope.Connections(), scope.Keys, Options.Create(new IndexOptions())) { HashReadsOnly = true });

    /// <summary>What a reply is built from, compared field by field (the tags are a list, so not by record equality).</summary>
    private static string[] Shape(IReadOnlyList<SearchHit> hits) =>
        hits.Select(h => $"{h.DocumentId}|{h.Chunk}|{h.Score:R}|{h.Content}|{h.Source}|{h.Timestamp.ToUnixTimeMilliseconds()}|{string.Join(',', h.Tags)}").ToArray();

    [Fact]
    public async Task Search_ReadsAttributes_OnlyWhereTheServerTakesWithAttribs()
    {
        await using var scope = new TestScope(redis);
        var index = (VectorSetIndex)scope.Index().Engine;
        var forced = (VectorSetIndex)HashReadsOnly(scope).Engine;

        Assert.Equal(TakesAttributes(redis), await index.ReadsAttributesAsync());
        Assert.False(await forced.ReadsAttributesAsync());
    }

    [Fact]
    public async Task Search_WithAndWithoutAttributes_ReturnsTheSameHits()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index();
        await index.UpsertAsync(Doc("plain", "wiki", ["t1", "t2"], 1, "bees make honey in the hive", "the queen bee lays eggs"), Ct);
        await index.UpsertAsync(Doc("quoted", "crm", [], 2, "bees \"quoted\" \\ back/slash\nnew line\ttab", "ünïcødé bees 🐝 façade"), Ct);
        await index.UpsertAsync(Doc("a#b", "wiki", ["t2"], 3, "a document id with a hash sign about bees"), Ct);
        await index.UpsertAsync(Doc("nosource", "", ["t1"], 4, "bees without a source"), Ct);
        var hashes = HashReadsOnly(scope);

        foreach (var query in new[]
        {
            Query("bees honey hive"),
            Query("bees", filters: QueryFilters.None with { Sources = ["wiki"] }),
            Query("bees", filters: QueryFilters.None with { TagsAll = ["t2"], From = T0.AddDays(2) }),
            Query("bees", k: 3) with { Exact = true },
        })
        {
            var fromAttributes = await index.SearchAsync(query, Ct);
            var fromHashes = await hashes.SearchAsync(query, Ct);

            Assert.NotEmpty(fromAttributes);
            Assert.Equal(Shape(fromHashes), Shape(fromAttributes));
        }

        var quoted = (await index.SearchAsync(Query("ünïcødé bees 🐝 façade", k: 1) with { Exact = true }, Ct))[0];
        Assert.Equal(("quoted", 1, "ünïcødé bees 🐝 façade", "crm"), (quoted.DocumentId, quoted.Chunk, quoted.Content, quoted.Source));
    }

    [Fact]
    public async Task Search_ElementWhoseAttributesCarryNoReadableText_IsReadFromItsHash()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index();
        await index.UpsertAsync(Doc("old", "wiki", ["t1"], 1, "an old passage about bees"), Ct);
        await index.UpsertAsync(Doc("new", "wiki", ["t1"], 1, "a new passage about bees"), Ct);
        await index.UpsertAsync(Doc("odd", "wiki", ["t1"], 1, "an odd passage about bees"), Ct);
        var vset = scope.Keys.PartitionOf("default", "old").VectorSet;
        // The attributes as the engine wrote them before they carried the text; and ones it never wrote.
        await scope.Db.ExecuteAsync("VSETATTR", vset, "old#0", """{"source":"wiki","ts":1700086400000,"tags":["t1"],"fp":"0"}""");
        await scope.Db.ExecuteAsync("VSETATTR", vset, "odd#0", """{"source":"wiki","ts":"not a number","text":7}""");

        var hits = await index.SearchAsync(Query("passage about bees"), Ct);

        Assert.Equal(Shape(await HashReadsOnly(scope).SearchAsync(Query("passage about bees"), Ct)), Shape(hits));
        Assert.Equal("an old passage about bees", Assert.Single(hits, h => h.DocumentId == "old").Content);
        var odd = Assert.Single(hits, h => h.DocumentId == "odd");
        Assert.Equal(("an odd passage about bees", "wiki"), (odd.Content, odd.Source));
    }

    [Fact]
    public async Task Upsert_MetadataOnly_KeepsEachPassageTextInItsAttributes()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index();
        var first = Doc("d", "wiki", ["t1"], 1, "bees and honey", "hive and queen");
        await index.UpsertAsync(first, Ct);

        await index.UpsertAsync(first with { Version = 2, Source = "crm", Tags = ["fresh"], Chunks = null }, Ct);

        var vset = scope.Keys.PartitionOf("default", "d").VectorSet;
        var attributes = (string?)await scope.Db.ExecuteAsync("VGETATTR", vset, "d#1");
        Assert.Contains("\"text\":\"hive and queen\"", attributes, StringComparison.Ordinal);
        Assert.Contains("\"source\":\"crm\"", attributes, StringComparison.Ordinal);
        var hits = await index.SearchAsync(Query("bees hive", filters: QueryFilters.None with { Sources = ["crm"] }), Ct);
        Assert.Equal(Shape(await HashReadsOnly(scope).SearchAsync(Query("bees hive", filters: QueryFilters.None with { Sources = ["crm"] }), Ct)), Shape(hits));
        Assert.Equal(["bees and honey", "hive and queen"], hits.Select(h => h.Content).Order());
    }

    [Fact]
    public async Task Search_OnAServerThatTakesWithAttribs_ReadsNoHash()
    {
        await using var server = await RedisServerFixture.StartDedicatedAsync();
        if (!TakesAttributes(server))
        {
            Assert.Skip("the server has no VSIM WITHATTRIBS (Redis < 8.2): searches read the hashes");
        }

        await using var scope = new TestScope(server);
        var index = scope.Index();
        for (var i = 0; i < 20; i++)
        {
            await index.UpsertAsync(Doc($"d{i}", "wiki", ["t1"], i, $"bees passage number {i}"), Ct);
        }

        var before = await CallsAsync(server);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(10, (await index.SearchAsync(Query($"bees number {i}"), Ct)).Count);
        }

        var after = await CallsAsync(server);
        Assert.Equal(5, after.GetValueOrDefault("vsim") - before.GetValueOrDefault("vsim"));
        Assert.Equal(before.GetValueOrDefault("hmget"), after.GetValueOrDefault("hmget"));
    }

    /// <summary>Calls per command (vector-set commands are named in capitals there: <c>cmdstat_VSIM</c>).</summary>
    private static async Task<Dictionary<string, long>> CallsAsync(ITestRedisServer server)
    {
        var info = await server.Connection.GetServers()[0].InfoAsync("commandstats");
        return info.SelectMany(g => g).ToDictionary(
            p => p.Key["cmdstat_".Length..],
            p => long.Parse(p.Value.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture),
            StringComparer.OrdinalIgnoreCase);
    }
}
