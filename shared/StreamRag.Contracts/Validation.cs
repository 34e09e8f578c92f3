using System.Buffers;
using System.Text;

namespace StreamRag.Contracts;

/// <summary>Shared field checks for both parsers.</summary>
internal static class Validation
{
    // Ids, tags, sources and tenants end up inside Redis keys (tenant) and vector-set FILTER
    // expressions (source, tags). A strict alphabet makes injection impossible by construction.
    private static readonly SearchValues<char> LabelChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/@");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsLabel(string value, int maxLength) =>
        value.Length > 0 && value.Length <= maxLength && !value.AsSpan().ContainsAnyExcept(LabelChars);

    public static string LabelRule(int maxLength) =>
        $"1 to {maxLength} characters from [A-Za-z0-9_-.:/@]";

    public static bool TryDecode(ReadOnlyMemory<byte> bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes.Span);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>Ids and channel names: no control character at all (they end up in key names and logs).</summary>
    public static bool HasAnyControlCharacter(string value) => value.Any(char.IsControl);

    public static bool HasControlCharacters(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The latest instant a time field can name (<see cref="DateTimeOffset.MaxValue"/>), as quoted in error messages.</summary>
    public const string LatestTimeText = "9999-12-31T23:59:59.999Z";

    /// <summary>
    /// Accepts Unix epoch milliseconds from 0 to 253402300799999 (9999-12-31T23:59:59.999Z) or an
    /// ISO-8601 / RFC 3339 date-time (yyyy-MM-dd…) whose UTC instant lies within years 1 to 9999.
    /// </summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        if (long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var ms))
        {
            if (ms is >= 0 and <= 253_402_300_799_999)
            {
                time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                return true;
            }

            time = default;
            return false;
        }

        // Only ISO-8601 shapes: "01/02/2025" means different days in different countries.
        if (text.Length < 10 || text[4] != '-' || text[7] != '-')
        {
            return false;
        }

        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out time);
    }
}
