namespace StreamRag.Client;

/// <summary>The query timed out: no reply arrived in time. Safe to retry (queries have no side effects).</summary>
public sealed class QueryTimeoutException(string requestId, TimeSpan timeout)
    : TimeoutException($"no reply to query {requestId} within {timeout.TotalMilliseconds:0} ms")
{
    public string RequestId { get; } = requestId;
}
