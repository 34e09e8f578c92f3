using System.Diagnostics;

namespace StreamRag.Telemetry;

/// <summary>Names every StreamRag host shares for its OpenTelemetry signals.</summary>
public static class StreamRagTelemetry
{
    /// <summary>The meter every StreamRag instrument lives on (the instruments are in <see cref="Instruments"/>).</summary>
    public const string MeterName = "StreamRag";

    /// <summary>The activity source of every StreamRag span.</summary>
    public const string ActivitySourceName = "StreamRag";

    /// <summary>
    /// The one activity source of the fleet's spans (names in <see cref="SpanNames"/>). Static like a
    /// logger category: it holds no state of its own, and listeners (the OpenTelemetry SDK, a test's
    /// ActivityListener) subscribe to it by <see cref="ActivitySourceName"/>.
    /// </summary>
    public static ActivitySource Source { get; } = new(ActivitySourceName);
}
