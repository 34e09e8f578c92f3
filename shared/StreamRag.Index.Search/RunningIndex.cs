using System.Globalization;
using StackExchange.Redis;

namespace StreamRag.Index.Search;

/// <summary>What FT.INFO says about a running index: its definition, fields and statistics.</summary>
internal sealed record RunningIndex(
    string Name,
    string? KeyType,
    IReadOnlyList<string> Prefixes,
    IReadOnlyList<RunningField> Fields,
    long Documents,
    long IndexingFailures,
    bool Indexing,
    double PercentIndexed,
    long VectorMemoryBytes,
    long TotalMemoryBytes)
{
    private const double MiB = 1024 * 1024;

    /// <summary>
    /// Parses an FT.INFO reply (RESP2: a flat key/value array, nested arrays for the definition and
    /// the attributes). Keys it does not know are ignored, so newer servers still parse.
    /// </summary>
    public static RunningIndex Parse(RedisResult info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var top = Pairs(info);
        var definition = top.TryGetValue("index_definition", out var d) ? Pairs(d) : [];
        var prefixes = definition.TryGetValue("prefixes", out var p) && p.Resp2Type == ResultType.Array
            ? ((RedisResult[])p!).Select(x => (string)x!).ToArray()
            : [];
        var fields = top.TryGetValue("attributes", out var a) && a.Resp2Type == ResultType.Array
            ? ((RedisResult[])a!).Select(RunningField.Parse).ToArray()
            : [];
        var vectorMb = Number(top, "vector_index_sz_mb");
        // total_index_memory_sz_mb is reported by Redis 8 and newer; older servers only give the parts.
        var totalMb = top.ContainsKey("total_index_memory_sz_mb")
            ? Number(top, "total_index_memory_sz_mb")
            : vectorMb + Number(top, "inverted_sz_mb") + Number(top, "doc_table_size_mb") + Number(top, "key_table_size_mb")
              + Number(top, "sortable_values_size_mb") + Number(top, "offset_vectors_sz_mb");
        return new RunningIndex(
            top.TryGetValue("index_name", out var n) ? (string?)n ?? "" : "",
            definition.TryGetValue("key_type", out var k) ? (string?)k : null,
            prefixes,
            fields,
            (long)Number(top, "num_docs"),
            (long)Number(top, "hash_indexing_failures"),
            Number(top, "indexing") != 0,
            top.ContainsKey("percent_indexed") ? Number(top, "percent_indexed") : 1.0,
            (long)(vectorMb * MiB),
            (long)(totalMb * MiB));
    }

    internal static Dictionary<string, RedisResult> Pairs(RedisResult result)
    {
        var map = new Dictionary<string, RedisResult>(StringComparer.Ordinal);
        if (result.Resp2Type != ResultType.Array)
        {
            return map;
        }

        var items = (RedisResult[])result!;
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            map[(string)items[i]!] = items[i + 1];
        }

        return map;
    }

    private static double Number(Dictionary<string, RedisResult> map, string key)
    {
        if (!map.TryGetValue(key, out var value) || value.IsNull)
        {
            return 0;
        }

        // Doubles come as strings in RESP2, and averages of an empty index as "nan"/"-nan".
        return double.TryParse((string?)value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? number
            : 0;
    }
}

/// <summary>One attribute of a running index as FT.INFO lists it: key/value pairs, then bare flags.</summary>
internal sealed record RunningField(string Attribute, string Type, IReadOnlyDictionary<string, string> Values, IReadOnlySet<string> Flags)
{
    // Flags FT.INFO writes as bare words after the key/value pairs of an attribute (in RESP2).
    private static readonly HashSet<string> KnownFlags = new(StringComparer.Ordinal)
    {
        "CASESENSITIVE", "SORTABLE", "UNF", "NOSTEM", "NOINDEX", "WITHSUFFIXTRIE", "INDEXEMPTY", "INDEXMISSING",
    };

    public string? Value(string key) => Values.TryGetValue(key, out var value) ? value : null;

    public static RunningField Parse(RedisResult attribute)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var items = attribute.Resp2Type == ResultType.Array ? (RedisResult[])attribute! : [];
        for (var i = 0; i < items.Length; i++)
        {
            var key = (string?)items[i] ?? "";
            if (items[i].Resp2Type == ResultType.Array)
            {
                continue;
            }

            if (KnownFlags.Contains(key) || i + 1 >= items.Length)
            {
                flags.Add(key);
                continue;
            }

            var value = items[++i];
            if (key == "flags" && value.Resp2Type == ResultType.Array)
            {
                // RESP3 servers group the flags under their own key.
                flags.UnionWith(((RedisResult[])value!).Select(f => (string?)f ?? ""));
                continue;
            }

            values[key] = (string?)value ?? "";
        }

        return new RunningField(
            values.GetValueOrDefault("attribute") ?? values.GetValueOrDefault("identifier") ?? "",
            values.GetValueOrDefault("type") ?? "",
            values,
            flags);
    }
}
