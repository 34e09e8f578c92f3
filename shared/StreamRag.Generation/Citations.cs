namespace StreamRag.Generation;

/// <summary>Reads chunk-id citations back out of a generated answer.</summary>
public static class Citations
{
    /// <summary>
    /// Ids in square brackets (<c>[a#0]</c>, also grouped: <c>[a#0, b#2]</c>) that are among
    /// <paramref name="given"/>, in order of first mention. A bracket that names no given id (a
    /// model's invention) counts for nothing.
    /// </summary>
    public static IReadOnlyList<string> Parse(string answer, IEnumerable<string> given)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(given);
        var allowed = new HashSet<string>(given, StringComparer.Ordinal);
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var at = 0;
        while (at < answer.Length)
        {
            var open = answer.IndexOf('[', at);
            if (open < 0)
            {
                break;
            }

            var close = answer.IndexOf(']', open + 1);
            if (close < 0)
            {
                break;
            }

            // The innermost bracket pair: "[[a#0]]" cites a#0.
            open = answer.LastIndexOf('[', close);
            var inner = answer[(open + 1)..close].Trim();

            // Document ids may hold commas or spaces: try the whole bracket before splitting it.
            var candidates = allowed.Contains(inner) ? [inner] : inner.Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (var id in candidates)
            {
                if (allowed.Contains(id) && seen.Add(id))
                {
                    found.Add(id);
                }
            }

            at = close + 1;
        }

        return found;
    }
}
