using System.Globalization;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// XREADGROUP … BLOCK on a dedicated connection. We send the command ourselves (instead of
/// NRedisStack's XReadGroupAsync, which blocks just as well) because its reply parser turns field
/// values into strings, and the contract must see the raw bytes to reject invalid UTF-8.
/// </summary>
internal static class BlockingStreamReader
{
    public static async Task<StreamEntry[]> ReadGroupAsync(IDatabase db, string group, string consumer, RedisKey stream, int count, int blockMilliseconds)
    {
        var result = await db.ExecuteAsync("XREADGROUP",
            "GROUP", group, consumer,
            "COUNT", count.ToString(CultureInfo.InvariantCulture),
            "BLOCK", blockMilliseconds.ToString(CultureInfo.InvariantCulture),
            "STREAMS", stream, ">");
        return Parse(result);
    }

    /// <summary>Reads the reply in both shapes: RESP2 <c>[[stream, entries]]</c> and a RESP3 map <c>{stream: entries}</c>.</summary>
    internal static StreamEntry[] Parse(RedisResult result)
    {
        if (result.IsNull || result.Length == 0)
        {
            return [];
        }

        var first = result[0];
        var entries = first.Resp2Type == ResultType.Array ? first[1] : result[1];
        if (entries.IsNull)
        {
            return [];
        }

        var parsed = new StreamEntry[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            var fields = entry[1];
            var values = new NameValueEntry[fields.IsNull ? 0 : fields.Length / 2];
            for (var f = 0; f < values.Length; f++)
            {
                values[f] = new NameValueEntry((string?)fields[2 * f], (byte[]?)fields[(2 * f) + 1]);
            }

            parsed[i] = new StreamEntry((RedisValue)(string?)entry[0], values);
        }

        return parsed;
    }
}
