using System.Globalization;
using NRedisStack;
using NRedisStack.Search;
using StackExchange.Redis;

namespace StreamRag.Index.Search;

/// <summary>One chunk as FT.SEARCH returned it.</summary>
/// <param name="Distance">The KNN distance (vector side), NaN otherwise.</param>
/// <param name="TextScore">The full-text score (text side, FT.SEARCH WITHSCORES), NaN otherwise.</param>
internal sealed record FoundChunk(string Key, string DocumentId, int Chunk, string Content, string Source, DateTimeOffset Timestamp, IReadOnlyList<string> Tags, double Distance, double TextScore = double.NaN)
{
    public static FoundChunk From(Document document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var tags = (string?)document[ChunkFields.Tags];
        var distance = document[ChunkFields.Score];
        return new FoundChunk(
            document.Id,
            (string?)document[ChunkFields.Document] ?? "",
            (int)document[ChunkFields.Chunk],
            // The text as written; chunks without line breaks (and chunks written before issue 11) only have the indexed copy.
            (string?)document[ChunkFields.Text] ?? (string?)document[ChunkFields.Content] ?? "",
            (string?)document[ChunkFields.Source] ?? "",
            DateTimeOffset.FromUnixTimeMilliseconds((long)document[ChunkFields.Timestamp]),
            string.IsNullOrEmpty(tags) ? [] : tags.Split(','),
            distance.IsNull ? double.NaN : double.Parse((string)distance!, NumberStyles.Float, CultureInfo.InvariantCulture),
            document.Score);
    }

    /// <summary>The chunks of an FT.HYBRID reply, best first, each with its fused score.</summary>
    public static IReadOnlyList<(FoundChunk Chunk, double Score)> FromHybrid(RedisResult reply)
    {
        var top = Pairs((RedisResult[])reply!);
        var results = (RedisResult[])top["results"]!;
        return results.Select(r =>
        {
            var fields = Pairs((RedisResult[])r!);
            string? Text(string name) => fields.TryGetValue(name, out var v) && !v.IsNull ? (string?)v : null;
            double Number(string name) => Text(name) is { } v ? double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture) : double.NaN;
            var tags = Text(ChunkFields.Tags);
            var chunk = new FoundChunk(
                Text("__key") ?? "",
                Text(ChunkFields.Document) ?? "",
                int.Parse(Text(ChunkFields.Chunk) ?? "0", CultureInfo.InvariantCulture),
                Text(ChunkFields.Text) ?? Text(ChunkFields.Content) ?? "",
                Text(ChunkFields.Source) ?? "",
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(Text(ChunkFields.Timestamp) ?? "0", CultureInfo.InvariantCulture)),
                string.IsNullOrEmpty(tags) ? [] : tags.Split(','),
                double.NaN);
            return (chunk, Number(SearchQueries.HybridScore));
        }).ToArray();
    }

    private static Dictionary<string, RedisResult> Pairs(RedisResult[] flat) =>
        Enumerable.Range(0, flat.Length / 2).ToDictionary(i => (string)flat[2 * i]!, i => flat[(2 * i) + 1], StringComparer.Ordinal);

    public SearchHit ToHit(double score) => new(DocumentId, Chunk, score, Content, Source, Timestamp, Tags);
}
