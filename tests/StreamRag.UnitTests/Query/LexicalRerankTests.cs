using Microsoft.Extensions.Options;
using StreamRag.Contracts;
using StreamRag.Query;

namespace StreamRag.UnitTests.Query;

public sealed class LexicalRerankTests
{
    [Fact]
    public void Coverage_RareSharedWords_OutweighACommonOne()
    {
        var coverage = LexicalScorer.Coverage("configure the curl proxy", ["the cat sat on the mat", "set the proxy for curl", "the the the the"]);

        // "the" is in every candidate: it weighs little; "curl" and "proxy", in one, weigh much.
        Assert.InRange(coverage[0], 0.01, 0.2);
        Assert.Equal(coverage[0], coverage[2], 9);
        Assert.InRange(coverage[1], 0.4, 0.6); // all but "configure", the rarest
    }

    [Fact]
    public void Coverage_IsOneForEveryQueryWord_AndZeroForNone()
    {
        Assert.Equal(1.0, LexicalScorer.Coverage("curl proxy", ["curl via proxy", "nothing here"])[0], 9);
        Assert.All(LexicalScorer.Coverage("?!", ["alpha", "beta"]), s => Assert.Equal(0, s));
        Assert.Empty(LexicalScorer.Coverage("alpha", []));
    }

    [Fact]
    public void Coverage_EqualsTheShareOfIdfHeld_ComputedWordByWord()
    {
        // More than 64 distinct query words (the bit sets span two words), mixed case, digits,
        // accents, repeats, and passage words longer than any query word.
        var random = new Random(7);
        var vocabulary = Enumerable.Range(0, 150).Select(i => i % 3 == 0 ? $"Wörd{i}" : i % 3 == 1 ? $"x{i}y" : $"longerword{i}").ToArray();
        string Text(int words) => string.Join(random.Next(2) == 0 ? " " : ", ", Enumerable.Range(0, words).Select(_ => vocabulary[random.Next(vocabulary.Length)]));
        var query = Text(120);
        var passages = Enumerable.Range(0, 40).Select(_ => Text(random.Next(0, 80)) + " supercalifragilisticexpialidocious").ToArray();

        var terms = LexicalScorer.Words(query).ToHashSet(StringComparer.Ordinal);
        var present = passages.Select(p => LexicalScorer.Words(p).Where(terms.Contains).ToHashSet(StringComparer.Ordinal)).ToArray();
        var idf = terms.ToDictionary(t => t, t => Math.Log(1 + ((passages.Length - present.Count(w => w.Contains(t)) + 0.5) / (present.Count(w => w.Contains(t)) + 0.5))));
        var expected = present.Select(p => p.Sum(t => idf[t]) / idf.Values.Sum()).ToArray();

        Assert.True(terms.Count > 64, $"{terms.Count} query words");
        var actual = LexicalScorer.Coverage(query, passages);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 12);
        }
    }

    [Fact]
    public void Words_AreLetterAndDigitRuns_LowerCased()
    {
        Assert.Equal(["ssl", "ctx", "new", "x509", "été"], LexicalScorer.Words("SSL_CTX_new, X509 Été"));
    }

    [Fact]
    public void Lexical_PassageWithTheQueryWords_RisesAboveCloserVectors()
    {
        var reranker = Reranker();
        var candidates = new[]
        {
            Result("near-1", "a passage about networking in general", 0.80),
            Result("near-2", "another general passage about the web", 0.79),
            Result("words", "curl sends requests through a proxy", 0.78),
        };

        var ranked = reranker.Lexical("curl proxy", candidates, 2);

        Assert.Equal(["words", "near-1"], ranked.Select(r => r.Id));
        Assert.Equal(0.78, ranked[0].Score); // its similarity, unchanged: only the order changes
    }

    [Fact]
    public void Lexical_FarCloserVector_StaysAboveAWordMatch()
    {
        var candidates = new[] { Result("meaning", "plants make sugar from light", 0.90), Result("word", "bees feed their larvae", 0.80) };

        Assert.Equal(["meaning", "word"], Reranker().Lexical("how do greens feed themselves", candidates, 2).Select(r => r.Id));
    }

    [Fact]
    public void Lexical_ZeroWeightOrNoSharedWord_KeepsTheVectorOrder()
    {
        var candidates = new[] { Result("a", "first", 0.9), Result("b", "second", 0.8), Result("c", "third", 0.7) };

        Assert.Equal(["a", "b", "c"], Reranker().Lexical("nothing shared", candidates, 3).Select(r => r.Id));
        Assert.Equal(["a", "b"], Reranker(weight: 0).Lexical("third", candidates, 2).Select(r => r.Id));
    }

    [Theory]
    [InlineData(3, 30)]
    [InlineData(30, 90)]
    [InlineData(500, 1000)]
    public void Candidates_LexicalPoolHasAFloor_AndACap(int k, int expected) =>
        Assert.Equal(expected, Reranker().Candidates(k, RerankMode.Lexical));

    [Fact]
    public void VectorOnlyRequest_IsNotReRankedLexically_AndFetchesOnlyK()
    {
        var reranker = Reranker();

        Assert.Equal(RerankMode.Lexical, reranker.ModeFor("how do greens feed themselves"));
        Assert.Equal(RerankMode.None, reranker.ModeFor(""));
        Assert.Equal(7, reranker.Candidates(7, reranker.ModeFor("")));
    }

    private static Reranker Reranker(double weight = 0.05) =>
        new(Options.Create(new QueryOptions { Rerank = RerankMode.Lexical, LexicalWeight = weight }), TimeProvider.System);

    private static QueryResult Result(string id, string content, double score) => new(id, 0, score, content, "s", DateTimeOffset.UnixEpoch, []);
}
