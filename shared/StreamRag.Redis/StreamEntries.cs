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

    /// <summary>Largest time part of a stream id that is a time: 9999-12-31T23:59:59.999Z in Unix milliseconds.</summary>
    public static readonly ulong LatestTimeMilliseconds = (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// The time part of a stream id (<c>ms-seq</c>): when the entry was added with <c>*</c>. Null when
    /// unknown: the id is not <c>ms-seq</c>, or its time part is past year 9999, which an explicit id
    /// such as <c>253402300800000-0</c> can be (and every <c>*</c> id after it then is too).
    /// </summary>
    public static DateTimeOffset? TimeOf(RedisValue id)
    {
        var text = (string?)id ?? "";
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return ulong.TryParse(dash < 0 ? text : text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= LatestTimeMilliseconds
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms)
            : null;
    }

    /// <summary>
    /// How long ago the entry was added, by its id: null when its time is unknown (<see cref="TimeOf"/>);
    /// zero, not negative, for an id ahead of <paramref name="now"/> (an explicit future id, or a Redis
    /// clock ahead of this host's).
    /// </summary>
    public static TimeSpan? AgeOf(RedisValue id, DateTimeOffset now) =>
        TimeOf(id) is { } added ? (now > added ? now - added : TimeSpan.Zero) : null;

    /// <summary>
    /// Entries of an XREADGROUP reply for one stream (RESP2 array of [stream, entries], or RESP3 map),
    /// with field values kept as the raw bytes Redis sent: binary fields (a query vector) and invalid
    /// UTF-8 reach the handler unchanged. NRedisStack's XReadGroupAsync decodes values as text, which
    /// corrupts both; that is why the command is sent and parsed here.
    /// </summary>
    public static StreamEntry[] ParseReadGroup(RedisResult result)
    {
        if (result.IsNull || result.Resp2Type != ResultType.Array)
        {
            return [];
        }

        var top = (RedisResult[])result!;
        if (top.Length == 0)
        {
            return [];
        }

        // RESP3 flattens the map to [stream, entries, …]; RESP2 nests [[stream, entries], …].
        var items = top[0].Resp2Type == ResultType.Array ? (RedisResult[])((RedisResult[])top[0]!)[1]! : (RedisResult[])top[1]!;
        var entries = new StreamEntry[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var entry = (RedisResult[])items[i]!;
            var pairs = entry[1].IsNull ? [] : (RedisResult[])entry[1]!;
            var values = new NameValueEntry[pairs.Length / 2];
            for (var f = 0; f < values.Length; f++)
            {
                values[f] = new NameValueEntry((RedisValue)pairs[2 * f], (RedisValue)pairs[(2 * f) + 1]);
            }

            entries[i] = new StreamEntry((RedisValue)entry[0], values);
        }

        return entries;
    }
}
