namespace StreamRag.Query;

public enum RerankMode
{
    /// <summary>Engine order (vector similarity).</summary>
    None,

    /// <summary>Weighted fusion of similarity, recency and content length.</summary>
    Fusion,

    /// <summary>Maximal marginal relevance: relevant, but not near-duplicates of each other.</summary>
    Mmr,

    /// <summary>
    /// Similarity plus a weighted share of the query's words (rarer words weigh more) each candidate
    /// holds: a passage that holds the query's rare words rises.
    /// </summary>
    Lexical,
}
