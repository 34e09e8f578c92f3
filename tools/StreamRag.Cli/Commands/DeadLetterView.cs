using System.Globalization;
using System.Text;
using StackExchange.Redis;
using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

/// <summary>Dead letters as JSON and tables (the original fields as text, or base64 when they are not UTF-8).</summary>
internal static class DeadLetterView
{
    public static object Json(DeadLetter d) => new
    {
        stream = d.Stream,
        id = d.Id,
        original_id = d.OriginalId,
        reason = d.Reason,
        deliveries = d.Deliveries,
        consumer = d.Consumer,
        at = d.At,
        fields = d.Original.ToDictionary(f => (string)f.Name!, f => Text(f.Value), StringComparer.Ordinal),
    };

    public static string Text(RedisValue value)
    {
        var bytes = (byte[]?)value ?? [];
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return "base64:" + Convert.ToBase64String(bytes);
        }
    }

    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "";
}
