using NRedisStack;
using StreamRag.Contracts;
using StreamRag.Index.Search;

namespace StreamRag.UnitTests.Search;

/// <summary>The FT.SEARCH commands the Query Engine engine sends, exactly as they go on the wire.</summary>
public sealed class SearchQueriesTests
{
    private static readonly float[] UnitVector = [1f, 0f];
    private static readonly float[] OneMinusTwo = [1f, -2f];

    private static string[] Wire(NRedisStack.Search.Query query) =>
        SearchCommandBuilder.Search("rag:idx", query).Args.Select(a => a is byte[] b ? $"<{b.Length} bytes>" : Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!).ToArray();

    [Theory]
    [InlineData("plain_word9", "plain_word9")]
    [InlineData("a-b.c:d/e@f", @"a\-b\.c\:d\/e\@f")]
    [InlineData("x} | @tenant:{other", @"x\}\ \|\ \@tenant\:\{other")]
    [InlineData("it's \"q\"\\", @"it\'s\ \""q\""\\")]
    public void EscapeTag_BackslashesEveryCharacterButLettersDigitsAndUnderscore(string value, string escaped)
    {
        Assert.Equal(escaped, SearchQueries.EscapeTag(value));
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("caf\u00e9")]
    [InlineData("a\u0000")]
    public void EscapeTag_CharacterThatCannotBeEscaped_IsRefused(string value)
    {
        Assert.Throws<ArgumentException>(() => SearchQueries.EscapeTag(value));
    }

    [Fact]
    public void Filter_NoConditions_IsTheTenantAlone()
    {
        Assert.Equal(@"@tenant:{acme\-1}", SearchQueries.Filter("acme-1", QueryFilters.None));
    }

    [Fact]
    public void Filter_AllConditions_AreIntersected()
    {
        var filters = new QueryFilters(["wiki", "crm:eu"], ["x", "y-z"], ["p", "q"], DateTimeOffset.FromUnixTimeMilliseconds(10), DateTimeOffset.FromUnixTimeMilliseconds(20));

        Assert.Equal(@"@tenant:{default} @source:{wiki|crm\:eu} @tags:{x|y\-z} @tags:{p} @tags:{q} @ts:[10 20]", SearchQueries.Filter("default", filters));
    }

    [Fact]
    public void Filter_HalfOpenTimeRanges_UseInfinity()
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

        Assert.EndsWith("@ts:[1700000000000 +inf]", SearchQueries.Filter("d", QueryFilters.None with { From = t }), StringComparison.Ordinal);
        Assert.EndsWith("@ts:[-inf 1700000000000]", SearchQueries.Filter("d", QueryFilters.None with { To = t }), StringComparison.Ordinal);
    }

    [Fact]
    public void Knn_Hnsw_SendsEfRuntimeAsAParameter()
    {
        var query = SearchQueries.Knn(@"@tenant:{acme}", UnitVector, 5, 150, exact: false, hnsw: true);

        Assert.Equal(
            [
                "rag:idx", "(@tenant:{acme})=>[KNN $K @vec $BLOB EF_RUNTIME $EF AS score]",
                "SORTBY", "score", "ASC", "LIMIT", "0", "5",
                "RETURN", "8", "doc", "chunk", "content", "text", "source", "ts", "tags", "score",
                "PARAMS", "6", "K", "5", "BLOB", "<8 bytes>", "EF", "150", "DIALECT", "2",
            ],
            Wire(query));
    }

    [Fact]
    public void Knn_ExactOnHnsw_IsAdHocBruteForceWithoutEf()
    {
        var wire = Wire(SearchQueries.Knn("@tenant:{acme}", new float[2], 3, 150, exact: true, hnsw: true));

        Assert.Equal("(@tenant:{acme})=>[KNN $K @vec $BLOB HYBRID_POLICY ADHOC_BF AS score]", wire[1]);
        Assert.DoesNotContain("EF", wire);
    }

    [Fact]
    public void Knn_Flat_HasNeitherEfNorPolicy()
    {
        var wire = Wire(SearchQueries.Knn("@tenant:{acme}", new float[2], 3, 150, exact: true, hnsw: false));

        Assert.Equal("(@tenant:{acme})=>[KNN $K @vec $BLOB AS score]", wire[1]);
        Assert.DoesNotContain("EF", wire);
    }

    [Fact]
    public void FullText_SearchesTheContentFieldWithinTheFilter_Bm25StdVerbatim()
    {
        var query = SearchQueries.FullText("@tenant:{acme}", SearchQueries.Terms("What does the Queen bee do?"), 50);

        Assert.Equal(
            [
                "rag:idx", "(@content:(queen|bee)) (@tenant:{acme})", "VERBATIM", "WITHSCORES", "SCORER", "BM25STD",
                "LIMIT", "0", "50", "RETURN", "7", "doc", "chunk", "content", "text", "source", "ts", "tags", "DIALECT", "2",
            ],
            Wire(query));
    }

    [Theory]
    [InlineData("one line", "one line")]
    [InlineData("hive\nqueen", "hive queen")]
    [InlineData("a\r\nb\tc\u2028d\u00a0e", "a  b c d e")]
    public void IndexedText_EveryWhitespaceIsASpace(string text, string indexed)
    {
        Assert.Equal(indexed, SearchQueries.IndexedText(text));
    }

    [Fact]
    public void IndexedText_WithoutLineBreaks_IsTheSameString()
    {
        var text = "no line breaks here";

        // The upsert then stores no second copy: the same instance tells it so.
        Assert.Same(text, SearchQueries.IndexedText(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("   ")]
    [InlineData("the and of -- !!")]
    public void Terms_NoSearchableTerm_IsEmpty(string? text)
    {
        Assert.Empty(SearchQueries.Terms(text));
    }

    private static string[] HybridWire(SearchIndexOptions fusion, bool hnsw = true, int ef = 100) =>
        SearchQueries.Hybrid("rag:idx", "@tenant:{acme}", SearchQueries.Terms("What does the Queen bee do?"), UnitVector, 10, 50, ef, hnsw, fusion)
            .Select(a => a is byte[] b ? $"<{b.Length} bytes>" : Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!).ToArray();

    [Fact]
    public void Hybrid_Linear_OneFtHybrid_QuotedWords_NormalizedBm25_FilterOnBothSides()
    {
        var wire = HybridWire(new SearchIndexOptions());

        Assert.Equal(
            [
                "rag:idx",
                "SEARCH", "(@content:(\"queen\"|\"bee\")) (@tenant:{acme})", "SCORER", "BM25STD.NORM",
                "VSIM", "@vec", "$BLOB", "KNN", "4", "K", "50", "EF_RUNTIME", "100", "FILTER", "@tenant:{acme}",
                "COMBINE", "LINEAR", "8", "ALPHA", "0.02", "BETA", "1", "WINDOW", "50", "YIELD_SCORE_AS", "hybrid_score",
                "LIMIT", "0", "10",
                "LOAD", "8", "@doc", "@chunk", "@content", "@text", "@source", "@ts", "@tags", "@__key",
                "PARAMS", "2", "BLOB", "<8 bytes>",
            ],
            wire);
    }

    [Fact]
    public void Hybrid_Rrf_PlainBm25Std_ConstantAndWindow()
    {
        var wire = HybridWire(new SearchIndexOptions { Combine = "rrf", RrfK = 20 });

        Assert.Equal("BM25STD", wire[Array.IndexOf(wire, "SCORER") + 1]);
        Assert.Equal(["COMBINE", "RRF", "6", "CONSTANT", "20", "WINDOW", "50", "YIELD_SCORE_AS", "hybrid_score"], wire[Array.IndexOf(wire, "COMBINE")..(Array.IndexOf(wire, "LIMIT"))]);
    }

    [Fact]
    public void Hybrid_FlatIndex_NoEfRuntime_EfAtLeastTheCandidates()
    {
        Assert.DoesNotContain("EF_RUNTIME", HybridWire(new SearchIndexOptions(), hnsw: false));
        var hnsw = HybridWire(new SearchIndexOptions(), ef: 20);
        Assert.Equal("50", hnsw[Array.IndexOf(hnsw, "EF_RUNTIME") + 1]);
    }

    [Fact]
    public void Terms_QuerySyntaxInTheQuestion_BecomesPlainWords()
    {
        var terms = SearchQueries.Terms("\"queen\" -hive @tenant:{other} | (drones)* ~bee's $param 2024 HIVE");

        Assert.Equal(["queen", "hive", "tenant", "drones", "bee", "param", "2024"], terms);
        Assert.All(terms, t => Assert.True(t.All(char.IsLetterOrDigit), t));
    }

    [Fact]
    public void Terms_AreCapped()
    {
        var text = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"word{i}"));

        Assert.Equal(SearchQueries.MaxTextTerms, SearchQueries.Terms(text).Count);
    }

    [Theory]
    [InlineData("COSINE", 0.0, 1.0)]
    [InlineData("COSINE", 1.0, 0.5)]
    [InlineData("COSINE", 2.0, 0.0)]
    [InlineData("IP", 0.4, 0.8)]
    [InlineData("L2", 0.0, 1.0)]
    [InlineData("L2", 3.0, 0.25)]
    public void Similarity_MapsDistanceToTheVectorSetScale(string metric, double distance, double similarity)
    {
        Assert.Equal(similarity, SearchQueries.Similarity(metric, distance), 9);
    }

    [Fact]
    public void VectorBlob_IsLittleEndianFloat32()
    {
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0 }, SearchQueries.VectorBlob(OneMinusTwo));
    }
}
