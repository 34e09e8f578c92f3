using System.Text.Json.Serialization;

namespace StreamRag.Contracts;

/// <summary>The JSON published on a request's reply channel (wire contract v1).</summary>
/// <param name="V">Contract version (1).</param>
/// <param name="Id">The request id.</param>
/// <param name="Status"><c>ok</c> or <c>error</c>.</param>
/// <param name="Results">Ranked passages, best first (empty on error).</param>
/// <param name="Answer">The answer in <c>answer</c> mode.</param>
/// <param name="Error">Set when status is <c>error</c>.</param>
/// <param name="Timings">Where the time went, in milliseconds.</param>
/// <param name="Cache"><c>hit</c> or <c>miss</c>.</param>
/// <param name="TraceId">The W3C trace id the worker's spans of this request belong to (32 hex digits); omitted when it has none.</param>
public sealed record QueryReply(
    int V,
    string Id,
    string Status,
    IReadOnlyList<QueryResult> Results,
    QueryAnswer? Answer,
    QueryError? Error,
    QueryTimings Timings,
    string Cache,
    string? TraceId = null)
{
    public const string StatusOk = "ok";
    public const string StatusError = "error";

    public static QueryReply Failure(string id, string code, string message, QueryTimings timings) =>
        new(1, id, StatusError, [], null, new QueryError(code, message), timings, "miss");
}

/// <summary>One ranked passage.</summary>
/// <param name="Id">Document id.</param>
/// <param name="Chunk">Passage number within the document, from 0.</param>
/// <param name="Score">Similarity in [0, 1], higher is closer.</param>
public sealed record QueryResult(
    string Id,
    int Chunk,
    double Score,
    string Content,
    string Source,
    DateTimeOffset Timestamp,
    IReadOnlyList<string> Tags);

/// <summary>An answer and the passages it cites, as <c>doc#chunk</c>.</summary>
public sealed record QueryAnswer(string Text, IReadOnlyList<string> Citations);

/// <summary>A structured error: a stable code from <see cref="ErrorCodes"/> and a message.</summary>
public sealed record QueryError(string Code, string Message);

/// <summary>Milliseconds spent waiting in the stream, embedding, searching, and in all.</summary>
/// <param name="QueueMs">From the request's XADD (its stream id's time) to a worker taking it up; null (omitted) when the id's time is unknown (past year 9999).</param>
/// <param name="TotalMs">Queue time (when known) plus the worker's own time.</param>
public sealed record QueryTimings(double? QueueMs, double EmbedMs, double SearchMs, double TotalMs)
{
    public static QueryTimings Zero { get; } = new(0, 0, 0, 0);
}

/// <summary>Source-generated JSON for the wire contract: snake_case, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(QueryReply))]
public sealed partial class ContractJsonContext : JsonSerializerContext;
