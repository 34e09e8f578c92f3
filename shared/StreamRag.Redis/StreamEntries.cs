using System.Globalization;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>Helpers to read stream entries as the contract parsers want them.</summary>
public static class StreamEntries
{
    /// <summary>Field names with their raw bytes (so the parsers can reject invalid UTF-8).</summary>
    public static IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> RawFields(this StreamEntry entry)
    {
        foreach (var field in entry.Values)
        {
            yield return new((string?)field.Name ?? "", (byte[]?)field.Value ?? []);
        }
    }

    /// <summary>The time part of a stream id (<c>ms-seq</c>).</summary>
    public static DateTimeOffset TimeOf(RedisValue id)
    {
        var text = (string?)id ?? "";
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return long.TryParse(dash < 0 ? text : text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UnixEpoch;
    }
}
