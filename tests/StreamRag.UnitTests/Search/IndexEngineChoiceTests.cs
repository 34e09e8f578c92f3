using StreamRag.Index;
using StreamRag.Index.Search;

namespace StreamRag.UnitTests.Search;

public sealed class IndexEngineChoiceTests
{
    [Theory]
    [InlineData("auto", true, "vectorset")]
    [InlineData("auto", false, "vectorset")]
    [InlineData("vectorset", true, "vectorset")]
    [InlineData("vectorset", false, "vectorset")]
    [InlineData("search", true, "search")]
    public void Decide_PicksTheEngine(string configured, bool available, string engine)
    {
        Assert.Equal(engine, IndexEngineChoice.Decide(configured, available, "ERR unknown command 'FT._LIST'").Engine);
    }

    [Fact]
    public void Decide_Auto_SaysWhyVectorSets_AndHowToPickTheQueryEngine()
    {
        var (_, reason) = IndexEngineChoice.Decide("auto", true, "FT._LIST answered");

        Assert.Contains("docs/search-engine.md", reason, StringComparison.Ordinal);
        Assert.Contains("Index:Engine=search", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_SearchRequiredButMissing_Throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => IndexEngineChoice.Decide("search", false, "ERR unknown command"));

        Assert.Contains("no Query Engine", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreValid()
    {
        Assert.True(new IndexOptionsValidator().Validate(null, new IndexOptions()).Succeeded);
        Assert.Equal("auto", new IndexOptions().Engine);
    }

    [Theory]
    [InlineData("bogus", "HNSW", "COSINE")]
    [InlineData("auto", "IVF", "COSINE")]
    [InlineData("search", "HNSW", "HAMMING")]
    public void Options_UnknownEngineOrSchemaSetting_IsRefused(string engine, string algorithm, string metric)
    {
        var index = new IndexOptions { Engine = engine };
        var search = new SearchIndexOptions { Algorithm = algorithm, DistanceMetric = metric };

        Assert.False(new IndexOptionsValidator().Validate(null, index).Succeeded && new SearchIndexOptionsValidator().Validate(null, search).Succeeded);
    }

    [Fact]
    public void Options_NegativeFusionWeight_IsRefused()
    {
        var options = new SearchIndexOptions { TextWeight = -1 };

        Assert.False(new SearchIndexOptionsValidator().Validate(null, options).Succeeded);
    }
}
