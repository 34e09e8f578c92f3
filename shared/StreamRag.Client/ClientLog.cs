using Microsoft.Extensions.Logging;

namespace StreamRag.Client;

internal static partial class ClientLog
{
    [LoggerMessage(1600, LogLevel.Warning, "Ignored a reply that is not valid contract JSON")]
    public static partial void BadReply(ILogger logger, Exception ex);

    [LoggerMessage(1601, LogLevel.Warning, "Cannot read the stream partitions recorded in {Manifest} (grant HGET on it): writing without checking them")]
    public static partial void PartitionsUnchecked(ILogger logger, Exception ex, string manifest);

    [LoggerMessage(1620, LogLevel.Information, "Query {Id} posted again (posting {Posting} of at most {MaxAttempts}): no reply within {WaitMs} ms")]
    public static partial void Reposted(ILogger logger, string id, int posting, int maxAttempts, double waitMs);

    [LoggerMessage(1621, LogLevel.Warning, "Posting query {Id} failed; posting it again, on the next partition, in {DelayMs:0} ms")]
    public static partial void PostingRefused(ILogger logger, Exception ex, string id, double delayMs);

    [LoggerMessage(1622, LogLevel.Debug, "Ignored a reply to {Id}: no query of this client waits for it (a duplicate of a reply already taken, or its caller stopped waiting)")]
    public static partial void UnexpectedReply(ILogger logger, string id);
}
