using Microsoft.Extensions.Options;
using StreamRag.Contracts;

namespace StreamRag.Query;

/// <summary>
/// Re-orders the engine's candidates. Fusion blends similarity with recency and content length
/// (weights configurable). MMR picks, one at a time, the candidate most relevant to the query and
/// least similar to those already picked, so near-duplicate passages do not crowd out the rest.
/// Lexical (the default) adds to each candidate's similarity the share of the query's words it holds:
/// a sentence-embedding model knows meaning but blurs rare exact words (names, identifiers), which
/// is where word statistics are strongest (docs/benchmarks.md, retrieval quality).
/// </summary>
internal sealed class Reranker(IOptions<QueryOptions> options, TimeProvider time)
{
    private readonly QueryOptions settings = options.Value;

    /// <summary>
    /// The re-ranking a request gets: lexical re-ranking has no words to weigh in a vector-only
    /// request (no query text) and would keep the vector order, so it is skipped there, and with it
    /// the larger candidate pool.
    /// </summary>
    public RerankMode ModeFor(string query) => query.Length == 0 && settings.Rerank == RerankMode.Lexical ? RerankMode.None : settings.Rerank;

    /// <summary>How many candidates to ask the engine for, to return k re-ranked by <paramref name="mode"/>.</summary>
    public int Candidates(int k, RerankMode mode) => mode switch
    {
        RerankMode.None => k,
        RerankMode.Lexical => Math.Min(Math.Max(k * settings.RerankCandidates, settings.LexicalCandidates), 1000),
        _ => Math.Min(k * settings.RerankCandidates, 1000),
    };

    /// <summary>
    /// The candidates ordered by similarity plus <see cref="QueryOptions.LexicalWeight"/> × the share
    /// of the query's wording each holds (<see cref="LexicalScorer.Coverage"/>), the best
    /// <paramref name="k"/>. Each keeps its similarity as its score, so scores mean what the contract
    /// says; only the order changes. A passage with none of the query's words keeps its similarity.
    /// </summary>
    public IReadOnlyList<QueryResult> Lexical(string query, IReadOnlyList<QueryResult> candidates, int k)
    {
        var coverage = LexicalScorer.Coverage(query, candidates.Select(c => c.Content).ToArray());
        return Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => candidates[i].Score + (settings.LexicalWeight * coverage[i]))
            .ThenBy(i => i)
            .Take(k)
            .Select(i => candidates[i])
            .ToArray();
    }

    public IReadOnlyList<QueryResult> Fuse(IReadOnlyList<QueryResult> candidates, int k)
    {
        var now = time.GetUtcNow();
        var halfLife = settings.RecencyHalfLife.TotalMilliseconds;
        return candidates
            .Select(c => (c, Score: FusionScore(c, now, halfLife)))
            .OrderByDescending(x => x.Score)
            .Take(k)
            .Select(x => x.c with { Score = Math.Round(x.Score, 6) })
            .ToArray();
    }

    private double FusionScore(QueryResult c, DateTimeOffset now, double halfLifeMs)
    {
        var ageMs = Math.Max(0, (now - c.Timestamp).TotalMilliseconds);
        var recency = Math.Pow(0.5, ageMs / halfLifeMs);
        var length = Math.Min(1.0, (double)c.Content.Length / settings.IdealContentLength);
        var total = settings.SimilarityWeight + settings.RecencyWeight + settings.LengthWeight;
        return total == 0 ? c.Score : ((settings.SimilarityWeight * c.Score) + (settings.RecencyWeight * recency) + (settings.LengthWeight * length)) / total;
    }

    /// <param name="vectors">Embeddings of the candidates' contents, same order.</param>
    public IReadOnlyList<QueryResult> Diversify(IReadOnlyList<QueryResult> candidates, IReadOnlyList<ReadOnlyMemory<float>> vectors, int k)
    {
        var picked = new List<int>(k);
        var left = Enumerable.Range(0, candidates.Count).ToList();
        while (picked.Count < k && left.Count > 0)
        {
            var best = -1;
            var bestScore = double.NegativeInfinity;
            foreach (var i in left)
            {
                var redundancy = picked.Count == 0 ? 0 : picked.Max(j => Cosine(vectors[i].Span, vectors[j].Span));
                var score = (settings.MmrLambda * candidates[i].Score) - ((1 - settings.MmrLambda) * redundancy);
                if (score > bestScore)
                {
                    (best, bestScore) = (i, score);
                }
            }

            picked.Add(best);
            left.Remove(best);
        }

        return picked.Select(i => candidates[i]).ToArray();
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
}
