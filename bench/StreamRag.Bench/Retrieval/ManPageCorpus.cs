using System.IO.Compression;
using System.Text;

namespace StreamRag.Bench.Retrieval;

/// <summary>One document of a corpus (e.g. a manual page without its NAME section).</summary>
internal sealed record CorpusDocument(string Id, string Text);

/// <summary>A known-item query: its text, and the one document that answers it (an index into the documents).</summary>
internal sealed record KnownItemQuery(string Text, int Document);

/// <summary>A known-item test: the documents drawn, the queries drawn among them, how many units were usable and how many drawn documents could give a query.</summary>
internal sealed record KnownItemCorpus(IReadOnlyList<CorpusDocument> Documents, IReadOnlyList<KnownItemQuery> Queries, int Available, int EligibleQueries)
{
    private const int MinQueryWords = 3;

    /// <summary>The text, as BM25 tokens joined by spaces: the key under which repeated query texts are counted.</summary>
    public static string QueryKey(string text) => string.Join(' ', Bm25.Tokenize(text));

    /// <summary>
    /// Whether a text may be the query of its document: at least three words, no other unit has the
    /// same (<paramref name="counts"/> by <see cref="QueryKey"/>), and it does not appear word for
    /// word in the document, so no query is copied out of its target.
    /// </summary>
    public static bool IsUsableQuery(string text, string document, Dictionary<string, int> counts)
    {
        var words = Bm25.Tokenize(text);
        if (words.Count < MinQueryWords || counts[string.Join(' ', words)] > 1)
        {
            return false;
        }

        var body = " " + string.Join(' ', Bm25.Tokenize(document)) + " ";
        return !body.Contains(" " + string.Join(' ', words) + " ", StringComparison.Ordinal);
    }
}

/// <summary>
/// A known-item test built from manual pages (fetched by bench/manpages.sh). Each page's NAME line,
/// "malloc, free, … \- allocate and free dynamic memory", gives a query — the summary after the
/// dash, without the names — and the rest of the page, NAME section removed, is the document that
/// answers it. A summary is kept as a query only when it has at least three words, no other page
/// has the same one, and it does not appear word for word in its own document, so no query is
/// copied out of its target. Documents and queries are drawn in a fixed pseudo-random order, so a
/// run with the same packages and sizes uses the same test.
/// </summary>
internal static class ManPageCorpus
{
    /// <summary>Pages are cut after this many words (synopsis and the start of the description), so a few huge pages (perlfunc is 60,000 words) do not dominate the passages.</summary>
    public const int MaxWords = 600;

    private const int MinWords = 20;

    public static KnownItemCorpus Load(string manDirectory, int documents, int queries, int seed)
    {
        var pages = Directory.EnumerateFiles(manDirectory, "*.gz", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).LinkTarget is null)
            .Order(StringComparer.Ordinal)
            .Select(Read)
            .OfType<Page>()
            .Where(p => Bm25.Tokenize(p.Body).Count >= MinWords)
            .ToList();
        if (pages.Count < documents)
        {
            throw new InvalidOperationException($"{manDirectory} has {pages.Count} usable pages, fewer than the {documents} documents asked for");
        }

        // A summary shared by several pages does not name one right document.
        var summaryCounts = pages.GroupBy(p => KnownItemCorpus.QueryKey(p.Summary), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var random = new Random(seed);
        var chosen = pages.ToArray();
        random.Shuffle(chosen);
        chosen = chosen[..documents];
        var eligible = Enumerable.Range(0, chosen.Length).Where(i => KnownItemCorpus.IsUsableQuery(chosen[i].Summary, chosen[i].Body, summaryCounts)).ToArray();
        if (eligible.Length < queries)
        {
            throw new InvalidOperationException($"only {eligible.Length} of the {documents} documents have a usable summary, fewer than the {queries} queries asked for");
        }

        return new KnownItemCorpus(
            chosen.Select(p => new CorpusDocument(p.Id, p.Body)).ToArray(),
            eligible.Take(queries).Select(i => new KnownItemQuery(chosen[i].Summary, i)).ToArray(),
            pages.Count,
            eligible.Length);
    }


    private sealed record Page(string Id, string Summary, string Body);

    private static Page? Read(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var source = reader.ReadToEnd();
        var sections = Roff.Sections(source);
        var name = sections.FirstOrDefault(s => s.Heading.Equals("NAME", StringComparison.OrdinalIgnoreCase)).Text;
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        // "names \- summary" (pod2man also writes "name \-\- summary").
        var flat = string.Join(' ', name.Split((char[])['\n', '\t'], StringSplitOptions.RemoveEmptyEntries));
        var dash = flat.IndexOf(" - ", StringComparison.Ordinal);
        var width = 3;
        if (flat.IndexOf(" -- ", StringComparison.Ordinal) is var twin and >= 0 && (dash < 0 || twin < dash))
        {
            (dash, width) = (twin, 4);
        }

        if (dash < 0)
        {
            return null;
        }

        var body = new StringBuilder();
        foreach (var (heading, text) in sections.Where(s => !s.Heading.Equals("NAME", StringComparison.OrdinalIgnoreCase)))
        {
            body.Append(heading).Append('\n').Append(text).Append("\n\n");
        }

        var id = Path.GetFileName(path)[..^".gz".Length];
        var safeId = new string(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' ? c : '_').ToArray());
        return new Page(safeId, flat[(dash + width)..].Trim(), Truncate(body.ToString().Trim(), MaxWords));
    }

    /// <summary>The text up to its <paramref name="words"/>-th word, line breaks kept.</summary>
    internal static string Truncate(string text, int words)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsWhiteSpace(text[i]) && (i == 0 || char.IsWhiteSpace(text[i - 1])) && ++count > words)
            {
                return text[..i].TrimEnd();
            }
        }

        return text;
    }
}
