using System.Text.Json;

namespace StreamRag.Contracts;

/// <summary>Writes the <c>filters</c> JSON of a query request (the reader is <see cref="QueryRequestParser"/>).</summary>
public static class QueryFilterJson
{
    /// <summary>The <c>filters</c> field of the wire contract for these filters.</summary>
    public static string Write(QueryFilters filters)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteArray(writer, QueryFilterFields.Sources, filters.Sources);
            WriteArray(writer, QueryFilterFields.TagsAny, filters.TagsAny);
            WriteArray(writer, QueryFilterFields.TagsAll, filters.TagsAll);
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

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
