using System.Globalization;
using System.Text;
using NRedisStack.Search;
using StreamRag.Contracts;

namespace StreamRag.Index.Search;

/// <summary>
/// Builds the FT.SEARCH queries of the Query Engine engine (DIALECT 2). Every caller value is either
/// escaped (tag values) or reduced to plain word characters (full-text terms), so no caller value can
/// change the structure of a query; numbers are formatted by us.
/// </summary>
internal static partial class SearchQueries
{
    public const int Dialect = 2;

    /// <summary>
    /// The full-text scorer, always named: BM25 as the textbook has it (RediSearch 2.8 and newer).
    /// Servers before Redis 8 default to TFIDF, and their legacy "BM25", like TFIDF, divides by the
    /// distance between matched terms, which ranks exactly the chunks that match many words of a
    /// question last (issue 11 measured MRR@10 0.12 with TFIDF, 0.75 with BM25STD).
    /// </summary>
    public const string Scorer = "BM25STD";

    /// <summary>Most terms a full-text query keeps; the rest of a long question adds little to BM25.</summary>
    public const int MaxTextTerms = 32;

    private const int MaxTermLength = 64;

    /// <summary>The fields a search returns: enough to answer without reading the chunk hashes again.</summary>
    public static readonly string[] ReturnFields =
        [ChunkFields.Document, ChunkFields.Chunk, ChunkFields.Content, ChunkFields.Text, ChunkFields.Source, ChunkFields.Timestamp, ChunkFields.Tags, ChunkFields.Score];

    // English function words, dropped from a question before it becomes a full-text query: the Query
    // Engine's own stop words (not indexed, so a query term among them can never match) and the words
    // a question is made of ("how do I …", "what is …"), which match nearly every passage and only add
    // noise to BM25 (issue 19: text side alone on the Python FAQ questions, MRR@10 0.532 with the
    // engine's 33 stop words, 0.590 with these).
    /// <summary>
    /// A tag value escaped for <c>@field:{…}</c>: every character other than an ASCII letter, digit or
    /// underscore gets a backslash, as the tag query syntax asks for punctuation and spaces. Characters
    /// that cannot be escaped safely (controls, non-ASCII) are refused; the contract's label alphabet
    /// never produces them.
    /// </summary>
    public static string EscapeTag(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var escaped = new StringBuilder(value.Length * 2);
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException($"tag value contains a character that cannot be escaped: {value}", nameof(value));
            }

            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    /// <summary>The pre-filter: the tenant always, then every given condition (all must hold).</summary>
    public static string Filter(string tenant, QueryFilters filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var clauses = new List<string> { TagClause(ChunkFields.Tenant, [tenant]) };
        if (filters.Sources.Count > 0)
        {
            clauses.Add(TagClause(ChunkFields.Source, filters.Sources));
        }

        if (filters.TagsAny.Count > 0)
        {
            clauses.Add(TagClause(ChunkFields.Tags, filters.TagsAny));
        }

        clauses.AddRange(filters.TagsAll.Select(t => TagClause(ChunkFields.Tags, [t])));
        if (filters.From is not null || filters.To is not null)
        {
            var from = filters.From is { } f ? f.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "-inf";
            var to = filters.To is { } t ? t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "+inf";
            clauses.Add($"@{ChunkFields.Timestamp}:[{from} {to}]");
        }

        return string.Join(' ', clauses);
    }

    /// <summary>
    /// The K nearest chunks that pass the filter. <paramref name="exact"/> on an HNSW index asks for
    /// ad-hoc brute force over the filtered chunks (HYBRID_POLICY ADHOC_BF), which is exact because
    /// every query is filtered by tenant; a FLAT index is exact anyway.
    /// </summary>
    public static Query Knn(string filter, ReadOnlyMemory<float> vector, int k, int ef, bool exact, bool hnsw)
    {
        var knn = new StringBuilder($"({filter})=>[KNN $K @{ChunkFields.Vector} $BLOB");
        if (hnsw && exact)
        {
            knn.Append(" HYBRID_POLICY ADHOC_BF");
        }
        else if (hnsw)
        {
            knn.Append(" EF_RUNTIME $EF");
        }

        knn.Append(CultureInfo.InvariantCulture, $" AS {ChunkFields.Score}]");
        var query = new Query(knn.ToString())
            .AddParam("K", k)
            .AddParam("BLOB", VectorBlob(vector))
            .ReturnFields(ReturnFields)
            .SetSortBy(ChunkFields.Score, ascending: true)
            .Limit(0, k)
            .Dialect(Dialect);
        if (hnsw && !exact)
        {
            query.AddParam("EF", ef);
        }

        return query;
    }

    /// <summary>
    /// The full-text side of a hybrid search fused in the client (<paramref name="terms"/> from <see cref="Terms"/>): an OR of
    /// the question's words over the indexed chunk text, scored by <see cref="Scorer"/>, VERBATIM (the
    /// words as given, not expanded to their stems: issue 11 measured MRR@10 0.81 verbatim, 0.79 stemmed).
    /// </summary>
    public static Query FullText(string filter, IReadOnlyList<string> terms, int limit)
    {
        ArgumentNullException.ThrowIfNull(terms);
        return new Query(TextQuery(filter, terms, quoted: false))
            .SetScorer(Scorer)
            .SetWithScores()
            .SetVerbatim()
            .ReturnFields(ReturnFields.Where(f => f != ChunkFields.Score).ToArray())
            .Limit(0, limit)
            .Dialect(Dialect);
    }

    /// <summary>
    /// One FT.HYBRID (Redis 8.4 and newer): the full-text search of the question's words and the
    /// <paramref name="candidates"/> nearest by the vector, both pre-filtered, fused on the server
    /// (<see cref="SearchIndexOptions.Combine"/>: <c>COMBINE LINEAR</c> of the similarity and the
    /// BM25STD score divided by the query's best, <c>BM25STD.NORM</c>, or <c>COMBINE RRF</c>, which has
    /// no weights); the best <paramref name="k"/> come back with the fields a search returns and the
    /// fused score (<see cref="HybridScore"/>). FT.HYBRID takes neither VERBATIM nor DIALECT, so each
    /// word is quoted (an exact term: not expanded to its stem, as VERBATIM does for FT.SEARCH) and the
    /// query uses only syntax every dialect reads alike.
    /// </summary>
    public static object[] Hybrid(string index, string filter, IReadOnlyList<string> terms, ReadOnlyMemory<float> vector, int k, int candidates, int ef, bool hnsw, SearchIndexOptions fusion)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(fusion);
        if (terms.Count == 0)
        {
            throw new ArgumentException("a hybrid search needs at least one term", nameof(terms));
        }

        var linear = fusion.Combine == "linear";
        var args = new List<object>
        {
            index,
            "SEARCH", TextQuery(filter, terms, quoted: true), "SCORER", linear ? NormalizedScorer : Scorer,
            "VSIM", $"@{ChunkFields.Vector}", "$BLOB",
        };
        args.AddRange(hnsw ? ["KNN", 4, "K", candidates, "EF_RUNTIME", Math.Max(ef, candidates)] : ["KNN", 2, "K", candidates]);
        args.AddRange(["FILTER", filter]);
        args.AddRange(linear
            ? ["COMBINE", "LINEAR", 8, "ALPHA", fusion.TextWeight, "BETA", fusion.VectorWeight, "WINDOW", candidates, "YIELD_SCORE_AS", HybridScore]
            : ["COMBINE", "RRF", 6, "CONSTANT", fusion.RrfK, "WINDOW", candidates, "YIELD_SCORE_AS", HybridScore]);
        args.AddRange(["LIMIT", 0, k]);
        var load = ReturnFields.Where(f => f != ChunkFields.Score).Select(f => $"@{f}").Append("@__key").ToArray();
        args.Add("LOAD");
        args.Add(load.Length);
        args.AddRange(load);
        args.AddRange(["PARAMS", 2, "BLOB", VectorBlob(vector)]);
        return args.ToArray();
    }

    /// <summary>BM25STD divided by the best score of the query (the best match scores 1): the text side of a linear fusion.</summary>
    public const string NormalizedScorer = "BM25STD.NORM";

    /// <summary>The fused score of an FT.HYBRID result.</summary>
    public const string HybridScore = "hybrid_score";

    /// <summary>The full-text clause and the filter: an OR of the words over the indexed text.</summary>
    private static string TextQuery(string filter, IReadOnlyList<string> terms, bool quoted) =>
        $"(@{ChunkFields.Content}:({string.Join('|', quoted ? terms.Select(t => $"\"{t}\"") : terms)})) ({filter})";

    /// <summary>
    /// Similarity in [0, 1], higher is better, from the engine's distance, on the vector-set scale so
    /// scores mean the same whichever engine runs: COSINE and IP distances are 1 − cos, so (1 + cos) / 2 = 1 − d / 2;
    /// L2 distance is squared Euclidean, mapped to 1 / (1 + d).
    /// </summary>
    public static double Similarity(string metric, double distance) => metric switch
    {
        "L2" => 1.0 / (1.0 + Math.Max(0, distance)),
        _ => Math.Clamp(1.0 - (distance / 2.0), 0.0, 1.0),
    };

    public static byte[] VectorBlob(ReadOnlyMemory<float> vector) =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.Span).ToArray();

    private static string TagClause(string field, IReadOnlyList<string> values) =>
        $"@{field}:{{{string.Join('|', values.Select(EscapeTag))}}}";
}

/// <summary>Field names of a chunk hash (and of the FT schema).</summary>
internal static class ChunkFields
{
    public const string Document = "doc";
    public const string Chunk = "chunk";
    public const string Tenant = "tenant";
    /// <summary>The text as the full-text index reads it (<see cref="SearchQueries.IndexedText"/>).</summary>
    public const string Content = "content";

    /// <summary>The text as written, when it differs from <see cref="Content"/> (it has line breaks); not indexed, returned.</summary>
    public const string Text = "text";
    public const string Source = "source";
    public const string Tags = "tags";
    public const string Timestamp = "ts";
    public const string Vector = "vec";

    /// <summary>The KNN distance alias (not stored).</summary>
    public const string Score = "score";
}
