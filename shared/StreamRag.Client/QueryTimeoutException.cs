using System.Globalization;

namespace StreamRag.Client;

/// <summary>
/// The query timed out: no reply arrived in time, after every posting and retry the
/// <see cref="QueryOptions"/> allowed. Safe to retry (queries have no side effects).
/// </summary>
public sealed class QueryTimeoutException : TimeoutException
{
    public QueryTimeoutException(string requestId, TimeSpan timeout)
        : this(requestId, timeout, 1, null)
    {
    }

    /// <param name="postings">How many times Redis accepted the request.</param>
    /// <param name="lastFailure">The last refused posting (connection lost, READONLY, ...), if any; the inner exception.</param>
    public QueryTimeoutException(string requestId, TimeSpan timeout, int postings, Exception? lastFailure)
        : base(Describe(requestId, timeout, postings, lastFailure), lastFailure)
    {
        RequestId = requestId;
        Postings = postings;
    }

    public string RequestId { get; }

    /// <summary>How many times Redis accepted the request (0: every posting was refused).</summary>
    public int Postings { get; }

    private static string Describe(string requestId, TimeSpan timeout, int postings, Exception? lastFailure)
    {
        var message = string.Create(CultureInfo.InvariantCulture, $"no reply to query {requestId} within {timeout.TotalMilliseconds:0} ms");
        if (postings == 1 && lastFailure is null)
        {
            return message;
        }

        var refused = lastFailure is null ? "" : $"; last refused posting: {lastFailure.Message}";
        return string.Create(CultureInfo.InvariantCulture, $"{message} (posted {postings} time(s){refused})");
    }
}
