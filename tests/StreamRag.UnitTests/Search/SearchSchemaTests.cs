using NRedisStack;
using StackExchange.Redis;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Redis;

namespace StreamRag.UnitTests.Search;

/// <summary>FT.CREATE as sent, and the comparison of a running index (FT.INFO as Redis 8 writes it in RESP2) with the configuration.</summary>
public sealed class SearchSchemaTests
{
    private static readonly SearchSchema Hnsw = SearchSchema.From(new IndexOptions(), new SearchIndexOptions(), "rag:chunk:");

    /// <summary>A RESP2 reply: strings and numbers as bulk strings / integers, object[] as nested arrays.</summary>
    internal static RedisResult Resp(params object[] items) => RedisResult.Create(items.Select(i => i switch
    {
        object[] nested => Resp(nested),
        int n => RedisResult.Create((RedisValue)n),
        long n => RedisResult.Create((RedisValue)n),
        _ => RedisResult.Create((RedisValue)(string)i),
    }).ToArray());

    /// <summary>FT.INFO of an index created from <see cref="Hnsw"/>, field by field as info_command.c writes it.</summary>
    internal static object[] Info(int m = 16, string metric = "COSINE", int dim = 384, bool caseSensitiveTags = true, string prefix = "rag:chunk:", params object[][] extraFields)
    {
        object[] Tag(string name) => caseSensitiveTags
            ? ["identifier", name, "attribute", name, "type", "TAG", "SEPARATOR", ",", "CASESENSITIVE"]
            : ["identifier", name, "attribute", name, "type", "TAG", "SEPARATOR", ","];
        object[] fields =
        [
            new object[] { "identifier", "content", "attribute", "content", "type", "TEXT", "WEIGHT", "1" },
            Tag("source"), Tag("tags"), Tag("tenant"),
            new object[] { "identifier", "ts", "attribute", "ts", "type", "NUMERIC" },
            new object[]
            {
                "identifier", "vec", "attribute", "vec", "type", "VECTOR", "algorithm", "HNSW", "data_type", "FLOAT32",
                "dim", dim, "distance_metric", metric, "M", m, "ef_construction", 200,
            },
            .. extraFields,
        ];
        return
        [
            "index_name", "rag:idx:v1",
            "index_options", Array.Empty<object>(),
            "index_definition", new object[] { "key_type", "HASH", "prefixes", new object[] { prefix }, "default_score", "1", "indexes_all", "false" },
            "attributes", fields,
            "num_docs", 42, "max_doc_id", 50, "num_terms", 10, "num_records", 300,
            "inverted_sz_mb", "0.5", "vector_index_sz_mb", "1.5", "total_inverted_index_blocks", 3,
            "offset_vectors_sz_mb", "0", "doc_table_size_mb", "0.25", "sortable_values_size_mb", "0", "key_table_size_mb", "0",
            "tag_overhead_sz_mb", "0", "text_overhead_sz_mb", "0", "total_index_memory_sz_mb", "2.5", "geoshapes_sz_mb", "0",
            "records_per_doc_avg", "7", "bytes_per_record_avg", "nan", "offsets_per_term_avg", "-nan", "offset_bits_per_record_avg", "nan",
            "hash_indexing_failures", 3, "total_indexing_time", "12.5", "indexing", 1, "percent_indexed", "0.75",
            "number_of_uses", 9, "cleaning", 0,
            "dialect_stats", new object[] { "dialect_1", 0, "dialect_2", 9 },
            "Index Errors", new object[] { "indexing failures", 3, "last indexing error", "Invalid vector length", "last indexing error key", "rag:chunk:{a.0}:d#0" },
        ];
    }

    [Fact]
    public void Create_Hnsw_SpellsOutEveryVectorAttribute()
    {
        var command = SearchCommandBuilder.Create("rag:idx:v1", Hnsw.CreateParams(), Hnsw.ToSchema());

        Assert.Equal("FT.CREATE", command.Command);
        Assert.Equal(
            "rag:idx:v1 PREFIX 1 rag:chunk: SCHEMA content TEXT source TAG CASESENSITIVE tags TAG CASESENSITIVE tenant TAG CASESENSITIVE ts NUMERIC "
            + "vec VECTOR HNSW 12 TYPE FLOAT32 DIM 384 DISTANCE_METRIC COSINE M 16 EF_CONSTRUCTION 200 EF_RUNTIME 100",
            string.Join(' ', command.Args));
    }

    [Fact]
    public void Create_Flat_HasNoGraphAttributes()
    {
        var flat = SearchSchema.From(new IndexOptions { Dimensions = 768 }, new SearchIndexOptions { Algorithm = "FLAT", DistanceMetric = "L2" }, "p:chunk:");

        var command = SearchCommandBuilder.Create("p:idx:v1", flat.CreateParams(), flat.ToSchema());

        Assert.EndsWith("vec VECTOR FLAT 6 TYPE FLOAT32 DIM 768 DISTANCE_METRIC L2", string.Join(' ', command.Args), StringComparison.Ordinal);
    }

    [Fact]
    public void Differences_IndexBuiltFromTheConfiguration_Matches()
    {
        Assert.Empty(Hnsw.Differences(RunningIndex.Parse(Resp(Info()))));
    }

    [Fact]
    public void Differences_NameEveryChangedSetting()
    {
        var running = RunningIndex.Parse(Resp(Info(m: 32, metric: "L2", dim: 768, caseSensitiveTags: false, prefix: "other:")));

        var differences = Hnsw.Differences(running);

        Assert.Contains("vec.M: running 32, configured 16", differences);
        Assert.Contains("vec.distance_metric: running L2, configured COSINE", differences);
        Assert.Contains("vec.dim: running 768, configured 384", differences);
        Assert.Contains("tags: running is case-insensitive, configured CASESENSITIVE", differences);
        Assert.Contains("prefixes: running [other:], configured [rag:chunk:]", differences);
        Assert.Equal(7, differences.Count);
    }

    [Fact]
    public void Differences_FlatConfiguredButHnswRunning_IsReported()
    {
        var flat = SearchSchema.From(new IndexOptions(), new SearchIndexOptions { Algorithm = "FLAT" }, "rag:chunk:");

        Assert.Equal(["vec.algorithm: running HNSW, configured FLAT"], flat.Differences(RunningIndex.Parse(Resp(Info()))));
    }

    [Fact]
    public void Differences_ExtraOrMissingFields_AreReported()
    {
        var info = Info(extraFields: [["identifier", "title", "attribute", "title", "type", "TEXT", "WEIGHT", "1"]]);

        Assert.Equal(["title: in the running index (TEXT) but not configured"], Hnsw.Differences(RunningIndex.Parse(Resp(info))));

        var withoutTs = Info();
        withoutTs[7] = ((object[])withoutTs[7]).Where(f => !((object[])f).Contains("ts")).ToArray();
        Assert.Equal(["ts: missing from the running index, configured NUMERIC"], Hnsw.Differences(RunningIndex.Parse(Resp(withoutTs))));
    }

    [Fact]
    public void Parse_ReadsStatisticsAndToleratesNan()
    {
        var running = RunningIndex.Parse(Resp(Info()));

        Assert.Equal("rag:idx:v1", running.Name);
        Assert.Equal(["rag:chunk:"], running.Prefixes);
        Assert.Equal((42L, 3L, true, 0.75), (running.Documents, running.IndexingFailures, running.Indexing, running.PercentIndexed));
        Assert.Equal(3 * 512 * 1024L, running.VectorMemoryBytes);
        Assert.Equal(5 * 512 * 1024L, running.TotalMemoryBytes);
        var tags = running.Fields.Single(f => f.Attribute == "tags");
        Assert.Equal(("TAG", ","), (tags.Type, tags.Value("SEPARATOR")));
        Assert.Contains("CASESENSITIVE", tags.Flags);
    }

    [Fact]
    public void Parse_Resp3StyleFlags_AreRead()
    {
        var field = RunningField.Parse(Resp("identifier", "tags", "attribute", "tags", "type", "TAG", "SEPARATOR", ",", "flags", new object[] { "CASESENSITIVE", "SORTABLE" }));

        Assert.Equal(["CASESENSITIVE", "SORTABLE"], field.Flags.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ChunkKeys_ShareTheDocumentsHashSlot_AndStartWithTheIndexPrefix()
    {
        var keys = new KeySchema("rag", 8);
        var partition = keys.PartitionOf("acme", "doc-1");
        static string Tag(string key) => key[(key.IndexOf('{', StringComparison.Ordinal) + 1)..key.IndexOf('}', StringComparison.Ordinal)];

        var chunk = partition.Chunk("doc-1", 3).ToString();

        Assert.StartsWith(keys.ChunkPrefix, chunk, StringComparison.Ordinal);
        Assert.Equal(Tag(partition.Document("doc-1")!), Tag(chunk));
        Assert.False(partition.Document("doc-1").ToString().StartsWith(keys.ChunkPrefix, StringComparison.Ordinal), "document hashes must stay out of the FT index");
    }
}

/// <summary>The alias commands a migration sends, in the argument order the FT.ALIAS* and FT.DROPINDEX syntax asks for.</summary>
public sealed class SearchAliasCommandTests
{
    [Fact]
    public void AliasAndDrop_AreSentAsDocumented_DropKeepsTheHashes()
    {
        var add = SearchCommandBuilder.AliasAdd("rag:idx", "rag:idx:v1");
        var update = SearchCommandBuilder.AliasUpdate("rag:idx", "rag:idx:v2");
        var drop = SearchCommandBuilder.DropIndex("rag:idx:v1", false);

        Assert.Equal("FT.ALIASADD rag:idx rag:idx:v1", $"{add.Command} {string.Join(' ', add.Args)}");
        Assert.Equal("FT.ALIASUPDATE rag:idx rag:idx:v2", $"{update.Command} {string.Join(' ', update.Args)}");
        Assert.Equal("FT.DROPINDEX rag:idx:v1", $"{drop.Command} {string.Join(' ', drop.Args)}");
    }
}
