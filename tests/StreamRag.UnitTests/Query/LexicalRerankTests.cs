using Microsoft.Extensions.Options;
using StreamRag.Contracts;
using StreamRag.Query;

namespace StreamRag.UnitTests.Query;

public sealed class LexicalRerankTests
{
    [Fact]
    public void Score_RareSharedWord_OutweighsACommonOne()
    {
        var scores = LexicalScorer.Score("configure the curl proxy", ["the cat sat on the mat", "set the proxy for curl", "the the the the"]);

        // "the" occurs in every candidate: it weighs little (but never below zero); "curl" and "proxy" in one.
        Assert.InRange(scores[0], 0.0, 0.3);
        Assert.InRange(scores[2], 0.0, 0.3);
        Assert.True(scores[1] > 1.0, $"rare words matched: {scores[1]}");
    }

    [Fact]
    public void Score_NoQueryWords_IsAllZero()
    {
        Assert.All(LexicalScorer.Score("?!", ["alpha", "beta"]), s => Assert.Equal(0, s));
        Assert.Empty(LexicalScorer.Score("alpha", []));
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
            Result("near-1", "a passage about networking in general"),
            Result("near-2", "another general passage about the web"),
            Result("words", "curl sends requests through a proxy"),
        };

        var ranked = reranker.Lexical("curl proxy", candidates, 2);

        Assert.Equal(["words", "near-1"], ranked.Select(r => r.Id));
        Assert.Equal(0.5, ranked[0].Score); // its similarity, unchanged: only the order is fused
    }

    [Fact]
    public void Lexical_ZeroWeightOrNoSharedWord_KeepsTheVectorOrder()
    {
        var candidates = new[] { Result("a", "first"), Result("b", "second"), Result("c", "third") };

        Assert.Equal(["a", "b", "c"], Reranker().Lexical("nothing shared", candidates, 3).Select(r => r.Id));
        Assert.Equal(["a", "b"], Reranker(weight: 0).Lexical("third", candidates, 2).Select(r => r.Id));
    }

    [Theory]
    [InlineData(3, 30)]
    [InlineData(30, 90)]
    [InlineData(500, 1000)]
    public void Candidates_LexicalPoolHasAFloor_AndACap(int k, int expected) =>
        Assert.Equal(expected, Reranker().Candidates(k));

    private static Reranker Reranker(double weight = 1.0) =>
        new(Options.Create(new QueryOptions { Rerank = RerankMode.Lexical, LexicalWeight = weight }), TimeProvider.System);

    private static QueryResult Result(string id, string content) => new(id, 0, 0.5, content, "s", DateTimeOffset.UnixEpoch, []);
}
