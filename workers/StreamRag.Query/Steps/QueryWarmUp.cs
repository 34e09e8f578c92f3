using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Query;

/// <summary>Runs the embed, search and publish paths once before the first request, so it does not pay for JIT and connecting.</summary>
internal sealed partial class QueryWarmUp(QueryEmbedder queryEmbedder, IVectorIndex index, RedisConnections connections, KeySchema keys, ILogger<QueryWarmUp> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var vector = await queryEmbedder.EmbedAsync("warm up", cancellationToken);
            await index.SearchAsync(new VectorQuery(DocumentEventParser.DefaultTenant, vector, 1, QueryFilters.None, null), cancellationToken);
            // On a reply channel of the fleet's own namespace: an ACL user may publish nowhere else (deploy/users.acl).
            await (await connections.GetSharedAsync()).GetSubscriber().PublishAsync(keys.ReplyChannel("warm-up"), "");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or DimensionMismatchException)
        {
            Log.WarmUpFailed(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Warning, "Warm-up failed; the first requests will be slower")]
        public static partial void WarmUpFailed(ILogger logger, Exception ex);
    }
}
