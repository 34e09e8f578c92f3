
namespace StreamRag.Telemetry;

/// <summary>OpenTelemetry <c>service.name</c> of each host (Prometheus shows it as the <c>service_name</c> of <c>target_info</c>).</summary>
public static class ServiceNames
{
    public const string Embedder = "streamrag-embedder";
    public const string Query = "streamrag-query";
    public const string Sweeper = "streamrag-sweeper";
    public const string Monitor = "streamrag-monitor";
}
