using StackExchange.Redis;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.UnitTests.Search;

public sealed class IndexManifestRulesTests
{
    private static readonly KeySchema Keys = new("rag", 1);

    private static readonly IndexModel Hashing = new("hashing-v1", "hashing", 384);

    private static IndexManifest Recorded(string engine, IndexModel? model = null) =>
        new(engine, DateTimeOffset.Parse("2026-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "StreamRag.Embedder on host-1 (pid 42)",
            model, model is null ? null : DateTimeOffset.Parse("2026-05-01T10:00:01Z", System.Globalization.CultureInfo.InvariantCulture), model is null ? null : "StreamRag.Query on host-2 (pid 7)");

    [Theory]
    [InlineData("auto", "vectorset", "vectorset")]
    [InlineData("auto", "search", "search")]
    [InlineData("vectorset", "vectorset", "vectorset")]
    [InlineData("search", "search", "search")]
    public void AdoptEngine_AutoAdopts_AMatchingEngineRuns(string configured, string recorded, string runs)
    {
        Assert.Equal(runs, IndexManifestRules.AdoptEngine(configured, Recorded(recorded), Keys));
    }

    [Theory]
    [InlineData("search", "vectorset")]
    [InlineData("vectorset", "search")]
    public void AdoptEngine_AnotherConfiguredEngine_IsRefused_NamingBoth(string configured, string recorded)
    {
        var error = Assert.Throws<IndexManifestConflictException>(() => IndexManifestRules.AdoptEngine(configured, Recorded(recorded), Keys));

        Assert.StartsWith($"Index:Engine={configured} but the index under prefix 'rag' was built with the {recorded} engine (rag:manifest: recorded by StreamRag.Embedder on host-1 (pid 42) at 2026-05-01T10:00:00.000Z)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Set Index:Engine={recorded}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckModel_NoModelRecordedYet_OrTheSame_Passes()
    {
        IndexManifestRules.CheckModel(Hashing, Recorded("vectorset"), Keys);
        IndexManifestRules.CheckModel(Hashing, Recorded("vectorset", Hashing), Keys);
        // The same model served by another provider gives the same vectors.
        IndexManifestRules.CheckModel(Hashing with { Provider = "elsewhere" }, Recorded("vectorset", Hashing), Keys);
    }

    [Theory]
    [InlineData("arctic-embed-xs", 384)]
    [InlineData("hashing-v1", 256)]
    public void CheckModel_AnotherModelOrDimension_IsRefused_NamingBoth(string model, int dimensions)
    {
        var configured = new IndexModel(model, "local", dimensions);

        var error = Assert.Throws<IndexManifestConflictException>(() => IndexManifestRules.CheckModel(configured, Recorded("vectorset", Hashing), Keys));

        Assert.Contains($"This host embeds with {model} (provider local, {dimensions} dimensions, float32)", error.Message, StringComparison.Ordinal);
        Assert.Contains("was built with hashing-v1 (provider hashing, 384 dimensions, float32)", error.Message, StringComparison.Ordinal);
        Assert.Contains("recorded by StreamRag.Query on host-2 (pid 7)", error.Message, StringComparison.Ordinal);
        Assert.Contains("docs/operations.md#re-embedding-into-a-new-model", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("int8", "float32")]
    [InlineData("float32", "int8")]
    public void CheckModel_AnotherPrecision_IsRefused_NamingBoth(string configured, string recorded)
    {
        var arctic = new IndexModel("snowflake-arctic-embed-xs", "local", 384);

        var error = Assert.Throws<IndexManifestConflictException>(() =>
            IndexManifestRules.CheckModel(arctic with { Precision = configured }, Recorded("vectorset", arctic with { Precision = recorded }), Keys));

        Assert.Contains($"This host embeds with snowflake-arctic-embed-xs (provider local, 384 dimensions, {configured})", error.Message, StringComparison.Ordinal);
        Assert.Contains($"was built with snowflake-arctic-embed-xs (provider local, 384 dimensions, {recorded})", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Vectors of {recorded} and {configured} weights differ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"set Embedding:Local:Precision={recorded}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_WithoutAPrecision_IsFloat32_AndRecordsOne()
    {
        HashEntry[] old = [new("engine", "vectorset"), new("model", "snowflake-arctic-embed-xs"), new("model_provider", "local"), new("dimensions", "384")];
        HashEntry[] int8 = [.. old, new("model_precision", "int8")];

        Assert.Equal(new IndexModel("snowflake-arctic-embed-xs", "local", 384, "float32"), IndexManifest.FromHash(old)!.Model);
        Assert.Equal(new IndexModel("snowflake-arctic-embed-xs", "local", 384, "int8"), IndexManifest.FromHash(int8)!.Model);
        // An index built before precisions were recorded accepts float32 hosts and refuses int8 ones.
        IndexManifestRules.CheckModel(new IndexModel("snowflake-arctic-embed-xs", "local", 384), IndexManifest.FromHash(old)!, Keys);
        Assert.Throws<IndexManifestConflictException>(() =>
            IndexManifestRules.CheckModel(new IndexModel("snowflake-arctic-embed-xs", "local", 384, "int8"), IndexManifest.FromHash(old)!, Keys));
    }

    [Theory]
    [InlineData("ERR unknown command 'FT._LIST', with args beginning with: ", true)]
    [InlineData("ERR unknown command `FT._LIST`, with args beginning with: ", true)]
    [InlineData("NOPERM User embedder has no permissions to run the 'FT._LIST' command", false)]
    [InlineData("LOADING Redis is loading the dataset in memory", false)]
    [InlineData("ERR syntax error", false)]
    public void OnlyUnknownCommand_MeansNoQueryEngine(string error, bool absent)
    {
        Assert.Equal(absent, IndexEngineChoice.MeansNoQueryEngine(error));
    }

    [Fact]
    public void Manifest_ReadsBackWhatIsRecorded()
    {
        HashEntry[] hash =
        [
            new("format", "1"), new("engine", "search"), new("created_at", "2026-05-01T10:00:00.000Z"), new("created_by", "a"),
            new("model", "text-embedding-3-small"), new("model_provider", "openai"), new("dimensions", "1536"),
            new("model_recorded_at", "2026-05-01T10:00:02.000Z"), new("model_recorded_by", "b"),
        ];

        var manifest = IndexManifest.FromHash(hash);

        Assert.NotNull(manifest);
        Assert.Equal("search", manifest.Engine);
        Assert.Equal(new IndexModel("text-embedding-3-small", "openai", 1536), manifest.Model);
        Assert.Equal(DateTimeOffset.Parse("2026-05-01T10:00:02Z", System.Globalization.CultureInfo.InvariantCulture), manifest.ModelRecordedAt);
        Assert.Null(IndexManifest.FromHash([]));
        Assert.Null(IndexManifest.FromHash([new("model", "x")]));
    }

    [Fact]
    public void CheckStreamPartitions_NoneRecorded_OrTheSame_Passes()
    {
        IndexManifestRules.CheckStreamPartitions(Recorded("vectorset"), new KeySchema("rag", 1, 3));
        IndexManifestRules.CheckStreamPartitions(Recorded("vectorset") with { StreamPartitions = 3 }, new KeySchema("rag", 1, 3));
    }

    [Fact]
    public void CheckStreamPartitions_AnotherNumber_IsRefused_NamingBoth()
    {
        var error = Assert.Throws<IndexManifestConflictException>(() =>
            IndexManifestRules.CheckStreamPartitions(Recorded("vectorset") with { StreamPartitions = 1 }, new KeySchema("rag", 1, 3)));

        Assert.StartsWith("Streams:Partitions=3 but the index under prefix 'rag' splits its input streams into 1 partition(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("set Streams:Partitions=1 on this host", error.Message, StringComparison.Ordinal);
    }
}
