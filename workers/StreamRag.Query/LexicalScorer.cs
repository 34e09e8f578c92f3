namespace StreamRag.Query;

/// <summary>
/// How much of the query's wording each candidate passage holds: the share of the query's distinct
/// words it contains, each word weighted by its rarity among the candidates (BM25's idf over the
/// candidate set, not the corpus). A word most candidates share weighs little; a rare word the query
/// and one passage share weighs much. It needs no index of its own, so it works on every engine.
/// </summary>
internal static class LexicalScorer
{
    /// <summary>One coverage in [0, 1] per passage, same order; 0 where no query word occurs.</summary>
    public static double[] Coverage(string query, IReadOnlyList<string> passages)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(passages);
        var coverage = new double[passages.Count];
        var terms = Words(query).ToHashSet(StringComparer.Ordinal);
        if (terms.Count == 0 || passages.Count == 0)
        {
            return coverage;
        }

        var present = passages.Select(p => Words(p).Where(terms.Contains).ToHashSet(StringComparer.Ordinal)).ToArray();
        var idf = terms.ToDictionary(t => t, t =>
        {
            var df = present.Count(words => words.Contains(t));
            return Math.Log(1 + ((passages.Count - df + 0.5) / (df + 0.5)));
        }, StringComparer.Ordinal);
        var total = idf.Values.Sum();
        for (var p = 0; p < passages.Count; p++)
        {
            coverage[p] = present[p].Sum(t => idf[t]) / total;
        }

        return coverage;
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
