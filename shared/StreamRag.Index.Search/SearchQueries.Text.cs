using System.Text;

namespace StreamRag.Index.Search;

/// <summary>The full-text side of a query: the question's terms, stop words dropped, and the text indexed for a passage.</summary>
internal static partial class SearchQueries
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "did", "do",
        "does", "doing", "don", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
        "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
        "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of",
        "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same",
        "she", "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves",
        "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very",
        "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "you",
        "your", "yours", "yourself", "yourselves",
    };

    /// <summary>
    /// What the full-text index gets for a chunk's text: every whitespace character (line breaks,
    /// tabs, …) as a plain space. The Query Engine's tokenizer does not split on a line break, so
    /// "hive\nqueen" would be indexed as one word that neither "hive" nor "queen" matches.
    /// </summary>
    public static string IndexedText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(c => c != ' ' && char.IsWhiteSpace(c)))
        {
            return text;
        }

        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsWhiteSpace(source[i]) ? ' ' : source[i];
            }
        });
    }

    /// <summary>
    /// The words of a question as full-text terms: runs of letters and digits, lower-cased, stop words
    /// and repeats dropped. Every other character separates words, so no operator, field modifier,
    /// quote or brace of the query syntax can come from the caller.
    /// </summary>
    public static IReadOnlyList<string> Terms(string? text)
    {
        var terms = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return terms;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var word = new StringBuilder();
        foreach (var c in text.Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
                continue;
            }

            if (word.Length > 0)
            {
                var term = word.ToString();
                word.Clear();
                if (term.Length <= MaxTermLength && !StopWords.Contains(term) && seen.Add(term))
                {
                    terms.Add(term);
                    if (terms.Count == MaxTextTerms)
                    {
                        break;
                    }
                }
            }
        }

        return terms;
    }
}
