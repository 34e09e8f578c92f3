
namespace StreamRag.Telemetry;

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
