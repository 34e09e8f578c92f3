namespace StreamRag.Index;

/// <summary>
/// Linear fusion of a vector ranking and a full-text ranking, on the similarity scale: each chunk
/// scores vectorWeight × its similarity (0 when the vector side did not find it) plus textWeight ×
/// its full-text score divided by the best full-text score of the query (0 when the text side did
/// not find it). With the vector weight 1 and a small text weight the score is a similarity with a
/// bonus for the question's words, so the best text match gains at most the text weight: a weak
/// text side cannot overturn the meaning, a strong one decides between close neighbours. The same
/// formula as FT.HYBRID's <c>COMBINE LINEAR</c> over the <c>BM25STD.NORM</c> scorer.
/// </summary>
public static class LinearFusion
{
    /// <summary>All chunks of both sides, best fused score first; ties go to the better vector rank, then text rank.</summary>
    public static IReadOnlyList<(TKey Key, double Score)> Fuse<TKey>(
        IReadOnlyList<(TKey Key, double Similarity)> vectorRanking,
        IReadOnlyList<(TKey Key, double Score)> textRanking,
        double vectorWeight,
        double textWeight)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(vectorRanking);
        ArgumentNullException.ThrowIfNull(textRanking);
        ArgumentOutOfRangeException.ThrowIfNegative(vectorWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(textWeight);

        var fused = new Dictionary<TKey, (double Score, int VectorRank, int TextRank)>();
        for (var i = 0; i < vectorRanking.Count; i++)
        {
            fused.TryAdd(vectorRanking[i].Key, (vectorWeight * vectorRanking[i].Similarity, i, int.MaxValue));
        }

        var best = textRanking.Count == 0 ? 0 : textRanking.Max(t => t.Score);
        for (var i = 0; i < textRanking.Count; i++)
        {
            var (key, score) = textRanking[i];
            var (sum, vectorRank, textRank) = fused.TryGetValue(key, out var found) ? found : (0.0, int.MaxValue, int.MaxValue);
            if (textRank == int.MaxValue)
            {
                fused[key] = (sum + (best > 0 ? textWeight * score / best : 0), vectorRank, i);
            }
        }

        return ReciprocalRankFusion.Ranked(fused);
    }
}
