using System.Globalization;

namespace StreamRag.Redis;

/// <summary>A stream entry id (<c>ms-seq</c>), ordered as Redis orders them.</summary>
public readonly record struct StreamId(ulong Milliseconds, ulong Sequence) : IComparable<StreamId>
{
    public bool IsZero => Milliseconds == 0 && Sequence == 0;

    public static StreamId Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return default;
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash < 0
            ? new StreamId(ulong.Parse(text, CultureInfo.InvariantCulture), 0)
            : new StreamId(ulong.Parse(text.AsSpan(0, dash), CultureInfo.InvariantCulture), ulong.Parse(text.AsSpan(dash + 1), CultureInfo.InvariantCulture));
    }

    /// <summary>The smallest id after this one.</summary>
    public StreamId Next() => Sequence == ulong.MaxValue ? new StreamId(Milliseconds + 1, 0) : this with { Sequence = Sequence + 1 };

    public int CompareTo(StreamId other) => (Milliseconds, Sequence).CompareTo((other.Milliseconds, other.Sequence));

    public static bool operator <(StreamId left, StreamId right) => left.CompareTo(right) < 0;

    public static bool operator >(StreamId left, StreamId right) => left.CompareTo(right) > 0;

    public static bool operator <=(StreamId left, StreamId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(StreamId left, StreamId right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");
}
