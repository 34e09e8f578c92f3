using System.Diagnostics;
using System.Text;

namespace StreamRag.Contracts;

/// <summary>
/// The optional <c>traceparent</c> field of document events and query requests: a W3C trace-context
/// <c>traceparent</c> (<c>00-&lt;32 hex trace id&gt;-&lt;16 hex parent span id&gt;-&lt;2 hex flags&gt;</c>),
/// whose spans the workers continue. Tracing is an aid, never a reason to refuse work: a value that
/// is not a valid traceparent is ignored as if it were absent.
/// </summary>
public static class TraceParent
{
    /// <summary>The field name, the same in both streams (W3C's header name).</summary>
    public const string Field = "traceparent";

    /// <summary>Longest value read: version 00 is 55 characters; later versions may append fields.</summary>
    public const int MaxLength = 256;

    /// <summary>The trace context <paramref name="raw"/> names, or null when it is not a valid traceparent.</summary>
    public static ActivityContext? Parse(ReadOnlySpan<byte> raw)
    {
        if (raw.Length is < 55 or > MaxLength)
        {
            return null;
        }

        // The shape is checked here, strictly (ActivityContext.TryParse is lenient about separators
        // and case); TryParse then refuses the all-zero ids.
        if (!IsLowerHex(raw[..2]) || raw[..2].SequenceEqual("ff"u8) || raw[2] != '-' || !IsLowerHex(raw[3..35]) || raw[35] != '-'
            || !IsLowerHex(raw[36..52]) || raw[52] != '-' || !IsLowerHex(raw[53..55])
            || (raw[..2].SequenceEqual("00"u8) ? raw.Length != 55 : raw.Length > 55 && raw[55] != '-'))
        {
            return null;
        }

        return ActivityContext.TryParse(Encoding.ASCII.GetString(raw[..55]), null, isRemote: true, out var context) ? context : null;
    }

    private static bool IsLowerHex(ReadOnlySpan<byte> text)
    {
        foreach (var c in text)
        {
            if (c is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The traceparent of <paramref name="activity"/>, or null when it has no W3C id.</summary>
    public static string? Of(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : null;
}
