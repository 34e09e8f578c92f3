using System.Text;
using System.Text.Json;

namespace StreamRag.Contracts;

/// <summary>
/// Writes <see cref="QueryFilters"/> as the <c>filters</c> JSON object of the wire contract (keys in
/// <see cref="QueryFilterFields"/>, times as Unix ms), so a sampled query-metrics entry can carry
/// the filters and the monitor can repeat the search; <see cref="QueryRequestParser.ParseFilters"/> reads it back.
/// </summary>
public static class QueryFiltersJson
{
    public static string Write(QueryFilters filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            WriteLabels(writer, QueryFilterFields.Sources, filters.Sources);
            WriteLabels(writer, QueryFilterFields.TagsAny, filters.TagsAny);
            WriteLabels(writer, QueryFilterFields.TagsAll, filters.TagsAll);
            if (filters.From is { } from)
            {
                writer.WriteNumber(QueryFilterFields.From, from.ToUnixTimeMilliseconds());
            }

            if (filters.To is { } to)
            {
                writer.WriteNumber(QueryFilterFields.To, to.ToUnixTimeMilliseconds());
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteLabels(Utf8JsonWriter writer, string name, IReadOnlyList<string> labels)
    {
        if (labels.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var label in labels)
        {
            writer.WriteStringValue(label);
        }

        writer.WriteEndArray();
    }
}
