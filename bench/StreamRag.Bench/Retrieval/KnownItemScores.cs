namespace StreamRag.Bench.Retrieval;

/// <summary>
/// Known-item figures over a set of queries, at document level: each query's ranking is a list of
/// document indexes, best first, already collapsed (a document counts at the rank of its best passage).
/// </summary>
internal sealed record KnownItemScores(double HitAt1, double HitAt10, double MrrAt10, int Queries)
{
    public const int Depth = 10;

    public static KnownItemScores Of(IReadOnlyList<KnownItemQuery> queries, IReadOnlyList<IReadOnlyList<int>> rankings)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(rankings);
        if (queries.Count != rankings.Count || queries.Count == 0)
        {
            throw new ArgumentException($"{rankings.Count} rankings for {queries.Count} queries");
        }

        var ranks = queries.Zip(rankings, (q, r) => r.Take(Depth).ToList().IndexOf(q.Document) + 1).ToArray();
        return new KnownItemScores(
            ranks.Average(r => r == 1 ? 1.0 : 0.0),
            ranks.Average(r => r > 0 ? 1.0 : 0.0),
            ranks.Average(r => r > 0 ? 1.0 / r : 0.0),
            queries.Count);
    }

    /// <summary>Passages (as their documents' indexes, best first) collapsed to distinct documents in rank order.</summary>
    public static int[] Collapse(IEnumerable<int> passageDocuments) => passageDocuments.Distinct().ToArray();
}
