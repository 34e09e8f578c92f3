using System.Diagnostics;

namespace StreamRag.Contracts;

/// <summary>
/// The outcome of parsing a query request. Even an invalid request keeps what could be read of its
/// id and reply channel, so the worker can still send the caller a structured error, and its trace
/// context (null when absent or not a valid traceparent), so that error is traced too. The token
/// (field <c>token</c>, unchecked here) goes beside the request: it is a credential, not a question.
/// </summary>
public sealed record ParsedQueryRequest(QueryRequest? Request, ContractViolation? Error, string? RequestId, string? ReplyTo, ActivityContext? TraceParent = null)
{
    public string? Token { get; init; }
}
