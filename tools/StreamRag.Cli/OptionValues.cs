using System.Globalization;

namespace StreamRag.Cli;

/// <summary>Parsers of option values; a bad value is a usage error naming the option.</summary>
public static class OptionValues
{
    /// <summary>Seconds (<c>90</c>), a number with a unit (<c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>) or a .NET time span (<c>1.00:00:00</c>).</summary>
    public static TimeSpan Duration(string option, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        var unit = text.Length > 0 ? char.ToLowerInvariant(text[^1]) : ' ';
        var (number, scale) = unit switch
        {
            's' => (text[..^1], 1L),
            'm' => (text[..^1], 60L),
            'h' => (text[..^1], 3_600L),
            'd' => (text[..^1], 86_400L),
            _ => (text, 1L),
        };
        if (long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 && count <= long.MaxValue / scale)
        {
            return TimeSpan.FromSeconds(count * scale);
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }

        throw CliException.Usage($"{option}: '{value}' is not a duration (e.g. 90, 90s, 30m, 12h, 7d or 1.00:00:00)");
    }

    /// <summary>A comma-separated list, items trimmed, empty ones dropped.</summary>
    public static IReadOnlyList<string> List(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
