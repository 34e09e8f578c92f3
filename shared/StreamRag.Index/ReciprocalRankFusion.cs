namespace StreamRag.Index;

/// <summary>
/// Weighted reciprocal rank fusion: each ranking adds weight / (k + rank) for every item it holds
/// (rank 1 is its best). It needs only the orders, so a BM25 score and a vector distance, which
/// live on unrelated scales, can be combined without normalising either.
/// </summary>
public static class ReciprocalRankFusion
{
    /// <summary>All items of both rankings, best fused score first; ties go to the better vector rank, then text rank.</summary>
    public static IReadOnlyList<(TKey Key, double Score)> Fuse<TKey>(
        IReadOnlyList<TKey> vectorRanking,
        IReadOnlyList<TKey> textRanking,
        double vectorWeight,
        double textWeight,
        int k)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(vectorRanking);
        ArgumentNullException.ThrowIfNull(textRanking);
        ArgumentOutOfRangeException.ThrowIfNegative(vectorWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(textWeight);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);

        var fused = new Dictionary<TKey, (double Score, int VectorRank, int TextRank)>();
        for (var i = 0; i < vectorRanking.Count; i++)
        {
            if (!fused.ContainsKey(vectorRanking[i]))
            {
                fused[vectorRanking[i]] = (vectorWeight / (k + i + 1), i + 1, int.MaxValue);
            }
        }

        for (var i = 0; i < textRanking.Count; i++)
        {
            var key = textRanking[i];
            var (score, vectorRank, textRank) = fused.TryGetValue(key, out var found) ? found : (0.0, int.MaxValue, int.MaxValue);
            if (textRank != int.MaxValue)
            {
                continue;
            }

            fused[key] = (score + (textWeight / (k + i + 1)), vectorRank, i + 1);
        }

        return Ranked(fused);
    }

    /// <summary>Fused items best first; ties go to the better vector rank, then text rank (both fusions order alike).</summary>
    internal static (TKey Key, double Score)[] Ranked<TKey>(Dictionary<TKey, (double Score, int VectorRank, int TextRank)> fused)
        where TKey : notnull =>
        fused
            .OrderByDescending(e => e.Value.Score)
            .ThenBy(e => e.Value.VectorRank)
            .ThenBy(e => e.Value.TextRank)
            .Select(e => (e.Key, e.Value.Score))
            .ToArray();
}
