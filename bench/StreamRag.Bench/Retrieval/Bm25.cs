using System.Text;

namespace StreamRag.Bench.Retrieval;

/// <summary>
/// Exact Okapi BM25 over whole documents, the baseline every provider is compared with:
/// k1 = 1.2, b = 0.75, idf = ln(1 + (N − df + 0.5) / (df + 0.5)), each distinct query word counted
/// once (an OR of the query's words). Tokens, for documents and queries alike: maximal runs of
/// Unicode letters and digits, lower-cased (invariant culture); no stemming, no stop words.
/// </summary>
internal sealed class Bm25
{
    public const double K1 = 1.2;
    public const double B = 0.75;

    private readonly Dictionary<string, List<(int Document, int Frequency)>> postings = new(StringComparer.Ordinal);
    private readonly int[] lengths;
    private readonly double averageLength;

    public Bm25(IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        lengths = new int[documents.Count];
        for (var d = 0; d < documents.Count; d++)
        {
            var tokens = Tokenize(documents[d]);
            lengths[d] = tokens.Count;
            foreach (var (term, frequency) in tokens.CountBy(t => t))
            {
                if (!postings.TryGetValue(term, out var list))
                {
                    postings[term] = list = [];
                }

                list.Add((d, frequency));
            }
        }

        averageLength = lengths.Length == 0 ? 0 : lengths.Average();
    }

    /// <summary>The best <paramref name="k"/> documents for the query, best first (ties: lower index first).</summary>
    public int[] Search(string query, int k)
    {
        var scores = new Dictionary<int, double>();
        foreach (var term in Tokenize(query).Distinct(StringComparer.Ordinal))
        {
            if (!postings.TryGetValue(term, out var list))
            {
                continue;
            }

            var idf = Math.Log(1 + ((lengths.Length - list.Count + 0.5) / (list.Count + 0.5)));
            foreach (var (document, frequency) in list)
            {
                var norm = K1 * (1 - B + (B * lengths[document] / averageLength));
                scores[document] = scores.GetValueOrDefault(document) + (idf * frequency * (K1 + 1) / (frequency + norm));
            }
        }

        return scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key).Take(k).Select(s => s.Key).ToArray();
    }

    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text.Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
            }
            else if (word.Length > 0)
            {
                tokens.Add(word.ToString());
                word.Clear();
            }
        }

        return tokens;
    }
}
