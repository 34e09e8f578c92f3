namespace StreamRag.Query;

/// <summary>
/// Okapi BM25 of each candidate passage for the query's words, with the term statistics of the
/// candidate set itself (document frequencies and average length over the candidates, not the
/// corpus). A word most candidates share weighs little; a rare word the query and one passage share
/// weighs much. It needs no index of its own, so it works on every engine.
/// </summary>
internal static class LexicalScorer
{
    public const double K1 = 1.2;
    public const double B = 0.75;

    /// <summary>One score per passage, same order; 0 where no query word occurs.</summary>
    public static double[] Score(string query, IReadOnlyList<string> passages)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(passages);
        var scores = new double[passages.Count];
        var terms = Words(query).ToHashSet(StringComparer.Ordinal);
        if (terms.Count == 0 || passages.Count == 0)
        {
            return scores;
        }

        // Only the query's words are counted: the rest of a passage matters through its length alone.
        var frequencies = new Dictionary<string, int>[passages.Count];
        var lengths = new int[passages.Count];
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var p = 0; p < passages.Count; p++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var word in Words(passages[p]))
            {
                lengths[p]++;
                if (terms.Contains(word))
                {
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
            }

            foreach (var term in counts.Keys)
            {
                documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
            }

            frequencies[p] = counts;
        }

        var averageLength = Math.Max(1.0, lengths.Average());
        for (var p = 0; p < passages.Count; p++)
        {
            foreach (var (term, frequency) in frequencies[p])
            {
                var df = documentFrequency[term];
                var idf = Math.Log(1 + ((passages.Count - df + 0.5) / (df + 0.5)));
                var norm = K1 * (1 - B + (B * lengths[p] / averageLength));
                scores[p] += idf * frequency * (K1 + 1) / (frequency + norm);
            }
        }

        return scores;
    }

    /// <summary>Maximal runs of letters and digits, lower-cased (invariant): no stemming, no stop words.</summary>
    public static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }
}
