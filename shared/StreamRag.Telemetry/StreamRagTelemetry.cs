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

/// <summary>The names of the fleet's spans (docs/operations.md#tracing).</summary>
public static class SpanNames
{
    /// <summary>Embedder: one batch of document events embedded together; linked to each event's traceparent.</summary>
    public const string EmbedBatch = "embed batch";

    /// <summary>Embedder: one document written into (or deleted from) the index; a child of its event's traceparent.</summary>
    public const string Write = "write";

    /// <summary>Query worker: one request, from taking it up to its reply; a child of its traceparent.</summary>
    public const string Query = "query";

    /// <summary>Query worker: embedding the question (a child of <see cref="Query"/>).</summary>
    public const string Embed = "embed";

    /// <summary>Query worker: the index search.</summary>
    public const string Search = "search";

    /// <summary>Query worker: re-ranking the candidates.</summary>
    public const string Rerank = "rerank";

    /// <summary>Query worker: building the answer (mode <c>answer</c>).</summary>
    public const string Generate = "generate";

    /// <summary>Query worker: publishing the reply.</summary>
    public const string Publish = "publish";

    /// <summary>The <c>streamrag ask</c> command: the root of its request's trace, whose id the command prints.</summary>
    public const string CliAsk = "streamrag ask";
}

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

/// <summary>OpenTelemetry <c>service.name</c> of each host (Prometheus shows it as the <c>service_name</c> of <c>target_info</c>).</summary>
public static class ServiceNames
{
    public const string Embedder = "streamrag-embedder";
    public const string Query = "streamrag-query";
    public const string Sweeper = "streamrag-sweeper";
    public const string Monitor = "streamrag-monitor";
}
