using System.Buffers;
using System.Text;
using System.Text.Json;

namespace StreamRag.Index;

/// <summary>
/// Reads a vector-set element's attributes (docs/keys.md#index-partitions), as upsert.lua writes them:
/// <c>{"source":…,"ts":…,"tags":[…],"fp":…,"text":…}</c>. The text comes last, so VSIM's FILTER, which
/// scans an element's JSON for the fields it names, finds the metadata before it reaches the text.
/// </summary>
internal static class VectorSetAttributes
{
    /// <summary>The hit these attributes describe, or null when they carry no text (an element written before they did) or cannot be read.</summary>
    public static SearchHit? ToHit(string documentId, int chunk, double score, string json)
    {
        var length = Encoding.UTF8.GetMaxByteCount(json.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(json, rented);
            return Read(documentId, chunk, score, rented.AsSpan(0, written));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Attributes this engine did not write (or not in this shape): the hash holds the hit.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static SearchHit? Read(string documentId, int chunk, double score, ReadOnlySpan<byte> json)
    {
        string? text = null;
        string? source = null;
        long ts = 0;
        List<string>? tags = null;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                text = reader.GetString();
            }
            else if (reader.ValueTextEquals("source"u8))
            {
                reader.Read();
                source = reader.GetString();
            }
            else if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                ts = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("tags"u8))
            {
                reader.Read();
                tags = [];
                while (reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    tags.Add(reader.GetString()!);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return text is null ? null : new SearchHit(documentId, chunk, score, text, source ?? "", DateTimeOffset.FromUnixTimeMilliseconds(ts), tags is null ? [] : tags.ToArray());
    }
}
