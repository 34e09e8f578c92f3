namespace StreamRag.Telemetry;

/// <summary>Names every StreamRag host shares for its OpenTelemetry signals.</summary>
public static class StreamRagTelemetry
{
    /// <summary>The meter every StreamRag instrument lives on (the instruments are in <see cref="Instruments"/>).</summary>
    public const string MeterName = "StreamRag";

    /// <summary>The activity source of every StreamRag span.</summary>
    public const string ActivitySourceName = "StreamRag";
}

/// <summary>OpenTelemetry <c>service.name</c> of each host (Prometheus shows it as the <c>service_name</c> of <c>target_info</c>).</summary>
public static class ServiceNames
{
    public const string Embedder = "streamrag-embedder";
    public const string Query = "streamrag-query";
    public const string Sweeper = "streamrag-sweeper";
    public const string Monitor = "streamrag-monitor";
}
