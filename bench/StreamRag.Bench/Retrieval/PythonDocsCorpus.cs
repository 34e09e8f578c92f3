using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace StreamRag.Bench.Retrieval;

/// <summary>
/// A known-item test of natural-language questions answered by passages of real documentation:
/// Python's FAQ and HOWTO pages (HTML, fetched by bench/pythondocs.sh). Every section of a page (a
/// heading and its text up to the next heading) is a document, its heading removed. A FAQ heading
/// that is a question ("How do I share global variables across modules?") is a query, and its
/// answer the one right document; it is used only when it has at least three words, no other
/// heading is the same, and it does not appear word for word in its answer. The HOWTO sections are
/// documents no query asks for. Documents and queries are drawn in a fixed pseudo-random order.
/// </summary>
internal static partial class PythonDocsCorpus
{
    private const int MinWords = 20;

    public static KnownItemCorpus Load(string directory, int documents, int queries, int seed)
    {
        var sections = Directory.EnumerateFiles(directory, "*.html", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "index.html")
            .Order(StringComparer.Ordinal)
            .SelectMany(f => Sections(f, Path.GetRelativePath(directory, f)))
            .Where(s => Bm25.Tokenize(s.Body).Count >= MinWords)
            .ToList();
        var headingCounts = sections.GroupBy(s => KnownItemCorpus.QueryKey(s.Heading), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var random = new Random(seed);
        var chosen = sections.ToArray();
        random.Shuffle(chosen);
        chosen = chosen[..Math.Min(documents, chosen.Length)];
        var eligible = Enumerable.Range(0, chosen.Length).Where(i => IsQuery(chosen[i], headingCounts)).ToArray();
        return new KnownItemCorpus(
            chosen.Select(s => new CorpusDocument(s.Id, s.Body)).ToArray(),
            eligible.Take(queries).Select(i => new KnownItemQuery(chosen[i].Heading, i)).ToArray(),
            sections.Count,
            eligible.Length);
    }

    private static bool IsQuery(Section section, Dictionary<string, int> headingCounts)
    {
        if (!section.Id.StartsWith("faq/", StringComparison.Ordinal) || !section.Heading.EndsWith('?'))
        {
            return false;
        }

        return KnownItemCorpus.IsUsableQuery(section.Heading, section.Body, headingCounts);
    }

    private sealed record Section(string Id, string Heading, string Body);

    /// <summary>The page's main body cut at every heading: each heading with the text after it, up to the next heading.</summary>
    private static IEnumerable<Section> Sections(string path, string relative)
    {
        var html = File.ReadAllText(path, Encoding.UTF8);
        var start = html.IndexOf("role=\"main\"", StringComparison.Ordinal);
        var end = html.IndexOf("class=\"sphinxsidebar\"", StringComparison.Ordinal);
        if (start < 0)
        {
            yield break;
        }

        // The page's own table of contents (a nav in the body) lists every question: not a passage.
        var main = Navigation().Replace(html[start..(end > start ? end : html.Length)], "");
        var headings = Heading().Matches(main);
        for (var i = 0; i < headings.Count; i++)
        {
            var heading = headings[i];
            var anchor = Anchor().Match(heading.Value) is { Success: true } a ? a.Groups[1].Value : $"s{i}";
            var bodyEnd = i + 1 < headings.Count ? headings[i + 1].Index : main.Length;
            var body = PlainText(main[(heading.Index + heading.Length)..bodyEnd]);
            var title = PlainText(heading.Groups[1].Value).Replace("¶", "", StringComparison.Ordinal).Trim();
            var id = new string($"{relative.Replace(".html", "", StringComparison.Ordinal)}:{anchor}".Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '/' ? c : '_').ToArray());
            yield return new Section(id, title, ManPageCorpus.Truncate(body, ManPageCorpus.MaxWords));
        }
    }

    /// <summary>Tags removed (a block element ends a line), entities decoded, blank runs collapsed.</summary>
    private static string PlainText(string html)
    {
        var text = BlockEnd().Replace(html, "\n");
        text = WebUtility.HtmlDecode(Tag().Replace(text, ""));
        var lines = text.Split('\n').Select(l => Spaces().Replace(l, " ").Trim()).Where(l => l.Length > 0);
        return string.Join('\n', lines);
    }

    [GeneratedRegex("<h[1-6][^>]*>(.*?)</h[1-6]>", RegexOptions.Singleline)]
    private static partial Regex Heading();

    [GeneratedRegex("<nav\\b.*?</nav>", RegexOptions.Singleline)]
    private static partial Regex Navigation();

    [GeneratedRegex("class=\"headerlink\" href=\"#([^\"]+)\"")]
    private static partial Regex Anchor();

    [GeneratedRegex("</(p|div|pre|li|dt|dd|tr|section|table|blockquote)>|<br\\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockEnd();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex("[ \\t\\r]+")]
    private static partial Regex Spaces();
}
