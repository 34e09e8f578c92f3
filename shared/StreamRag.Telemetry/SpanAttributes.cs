
namespace StreamRag.Telemetry;

/// <summary>Attributes the fleet's spans carry.</summary>
public static class SpanAttributes
{
    public const string RequestId = "streamrag.request.id";
    public const string DocumentId = "streamrag.document.id";
    public const string Tenant = "streamrag.tenant";
    public const string BatchSize = "streamrag.batch.size";
    public const string Outcome = "streamrag.outcome";
    public const string Cache = "streamrag.cache";
}
