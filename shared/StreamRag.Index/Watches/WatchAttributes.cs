using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamRag.Contracts;

namespace StreamRag.Index;

/// <summary>
/// The attributes stored with each watch in its tenant's vector set, and the FILTER a passage asks
/// that set with. The watch's filters are inverted: the passage's metadata becomes the literals and
/// the watch's filter lists the fields (<c>"wiki" in .src</c>), so VSIM keeps only the watches whose
/// filters the passage passes. <c>tags_all</c> and each watch's own threshold are checked on the
/// returned attributes (<see cref="Accepts"/>), which a vector-set expression cannot loop over.
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

    /// <summary>The FILTER for a passage of a document with this metadata, at <paramref name="now"/>.</summary>
    public static string FilterFor(string source, IReadOnlyList<string> tags, DateTimeOffset timestamp, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var ts = timestamp.ToUnixTimeMilliseconds();
        var filter = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $".exp > {now.ToUnixTimeMilliseconds()} and .from <= {ts} and .to >= {ts}")
            .Append(CultureInfo.InvariantCulture, $" and (.ns == 0 or {VectorSetFilter.Quote(source)} in .src)");
        filter.Append(" and (.nta == 0");
        foreach (var tag in tags)
        {
            filter.Append(" or ").Append(VectorSetFilter.Quote(tag)).Append(" in .ta");
        }

        filter.Append(')');
        if (tags.Count == 0)
        {
            filter.Append(" and .ntl == 0");
        }

        return filter.ToString();
    }

    /// <summary>
    /// Whether a watch VSIM returned takes the passage: its score reaches the watch's threshold and the
    /// document has every tag of its <c>tags_all</c>. Also gives where the notification goes.
    /// </summary>
    public static bool Accepts(string attributes, double score, IReadOnlyList<string> tags, out string notifyTo)
    {
        ArgumentNullException.ThrowIfNull(tags);
        notifyTo = "";
        using var json = JsonDocument.Parse(attributes);
        var root = json.RootElement;
        if (score < root.GetProperty("th").GetDouble())
        {
            return false;
        }

        foreach (var tag in root.GetProperty("tl").EnumerateArray())
        {
            if (!tags.Contains(tag.GetString()!, StringComparer.Ordinal))
            {
                return false;
            }
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
