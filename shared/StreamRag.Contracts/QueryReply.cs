
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
/// <param name="Watch">The watch registered (<c>mode</c> <c>watch</c>) or removed (<c>unwatch</c>); omitted otherwise.</param>
public sealed record QueryReply(
    int V,
    string Id,
    string Status,
    IReadOnlyList<QueryResult> Results,
    QueryAnswer? Answer,
    QueryError? Error,
    QueryTimings Timings,
    string Cache,
    string? TraceId = null,
    WatchConfirmation? Watch = null)
{
    public const string StatusOk = "ok";
    public const string StatusError = "error";

    public static QueryReply Failure(string id, string code, string message, QueryTimings timings) =>
        new(1, id, StatusError, [], null, new QueryError(code, message), timings, "miss");
}
