using Microsoft.Extensions.Logging;

namespace StreamRag.Client;

internal static partial class ClientLog
{
    [LoggerMessage(1600, LogLevel.Warning, "Ignored a reply that is not valid contract JSON")]
    public static partial void BadReply(ILogger logger, Exception ex);

    [LoggerMessage(1601, LogLevel.Warning, "Cannot read the stream partitions recorded in {Manifest} (grant HGET on it): writing without checking them")]
    public static partial void PartitionsUnchecked(ILogger logger, Exception ex, string manifest);
}
