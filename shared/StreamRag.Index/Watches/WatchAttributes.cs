using System.Text;
using System.Text.Json;
using StreamRag.Contracts;

namespace StreamRag.Index;

/// <summary>
/// The attributes stored with each watch in its tenant's vector set (its filters, threshold, expiry
/// and notification stream), and the check of a passage against them (<see cref="Accepts"/>).
/// </summary>
public static class WatchAttributes
{
    /// <summary>Latest time a filter bound can take, as Unix ms (year 9999).</summary>
    private const long Forever = 253402300799999;

    public static string Build(QueryFilters filters, double threshold, DateTimeOffset expiresAt, string notifyTo)
    {
        ArgumentNullException.ThrowIfNull(filters);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteList(json, "src", "ns", filters.Sources);
            WriteList(json, "ta", "nta", filters.TagsAny);
            WriteList(json, "tl", "ntl", filters.TagsAll);
            json.WriteNumber("from", filters.From?.ToUnixTimeMilliseconds() ?? 0);
            json.WriteNumber("to", filters.To?.ToUnixTimeMilliseconds() ?? Forever);
            json.WriteNumber("th", threshold);
            json.WriteNumber("exp", expiresAt.ToUnixTimeMilliseconds());
            json.WriteString("notify", notifyTo);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Whether a watch the search returned takes a passage of <paramref name="document"/>: it has not
    /// expired, the score reaches its threshold, and the document passes its filters (sources, tags_any,
    /// tags_all, from/to). Also gives where the notification goes.
    /// </summary>
    public static bool Accepts(string attributes, double score, IndexedDocument document, DateTimeOffset now, out string notifyTo)
    {
        ArgumentNullException.ThrowIfNull(document);
        notifyTo = "";
        using var json = JsonDocument.Parse(attributes);
        var root = json.RootElement;
        var ts = document.Timestamp.ToUnixTimeMilliseconds();
        if (score < root.GetProperty("th").GetDouble()
            || root.GetProperty("exp").GetInt64() <= now.ToUnixTimeMilliseconds()
            || ts < root.GetProperty("from").GetInt64() || ts > root.GetProperty("to").GetInt64())
        {
            return false;
        }

        var sources = root.GetProperty("src");
        if (sources.GetArrayLength() > 0 && !sources.EnumerateArray().Any(s => s.GetString() == document.Source))
        {
            return false;
        }

        var any = root.GetProperty("ta");
        if (any.GetArrayLength() > 0 && !any.EnumerateArray().Any(t => document.Tags.Contains(t.GetString()!, StringComparer.Ordinal)))
        {
            return false;
        }

        if (!root.GetProperty("tl").EnumerateArray().All(t => document.Tags.Contains(t.GetString()!, StringComparer.Ordinal)))
        {
            return false;
        }

        notifyTo = root.GetProperty("notify").GetString()!;
        return true;
    }

    private static void WriteList(Utf8JsonWriter json, string name, string countName, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values.Distinct(StringComparer.Ordinal))
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
        json.WriteNumber(countName, values.Distinct(StringComparer.Ordinal).Count());
    }
}
