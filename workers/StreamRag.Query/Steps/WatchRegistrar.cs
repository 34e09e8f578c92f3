using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.Query;

/// <summary>
/// The requests of <c>mode</c> <c>watch</c> and <c>unwatch</c>: embeds the question as a query is
/// embedded for a search (so a watch's threshold is on the reply's score scale), checks the
/// notification stream's namespace, and registers or removes the watch (<see cref="WatchStore"/>).
/// A redelivered registration gets the same watch id, so it adds no second watch.
/// </summary>
internal sealed partial class WatchRegistrar(
    QueryEmbedder embedder,
    WatchStore store,
    IVectorIndex index,
    TimeProvider time,
    ILogger<WatchRegistrar> logger)
{
    public async Task<QueryReply> HandleAsync(QueryRequest request, string entryId, double? queueMs, long started, CancellationToken cancellationToken)
    {
        if (request.Mode == QueryMode.Unwatch)
        {
            var id = request.WatchId!;
            if (!await store.RemoveAsync(request.Tenant, id, cancellationToken))
            {
                return Failure(request, ErrorCodes.UnknownWatch, $"tenant '{request.Tenant}' has no live watch '{DocumentEventParser.Truncate(id)}'", queueMs, 0, started);
            }

            Log.Removed(logger, id, request.Tenant);
            return Ok(request, new WatchConfirmation(id), queueMs, 0, started);
        }

        var watch = request.Watch!;
        if (!store.IsNotifyStream(watch.NotifyTo))
        {
            return Failure(request, ErrorCodes.InvalidField, $"notify_to must be a stream key under '{store.NotifyPrefix}', not '{DocumentEventParser.Truncate(watch.NotifyTo)}'", queueMs, 0, started);
        }

        var (vector, embedMs) = await embedder.VectorOfAsync(request, cancellationToken);
        if (vector.Length != index.Dimensions)
        {
            throw new DimensionMismatchException(index.Dimensions, vector.Length);
        }

        var watchId = WatchStore.IdOf(request.Tenant, request.RequestId, entryId);
        var expiresAt = time.GetUtcNow() + watch.Ttl;
        switch (await store.AddAsync(request.Tenant, watchId, vector, request.Filters, watch, cancellationToken))
        {
            case WatchAddResult.TenantLimit:
                return Failure(request, ErrorCodes.WatchLimit, $"tenant '{request.Tenant}' has {store.MaxPerTenant} watches, the most allowed (Watch:MaxPerTenant); remove one first", queueMs, embedMs, started);
            case WatchAddResult.TotalLimit:
                return Failure(request, ErrorCodes.WatchLimit, $"the fleet has {store.MaxTotal} watches, the most allowed (Watch:MaxTotal)", queueMs, embedMs, started);
            default:
                Log.Added(logger, watchId, request.Tenant, watch.Threshold, watch.NotifyTo);
                // Milliseconds, as the expiry the store keeps.
                return Ok(request, new WatchConfirmation(watchId, watch.NotifyTo, DateTimeOffset.FromUnixTimeMilliseconds(expiresAt.ToUnixTimeMilliseconds()), watch.Threshold), queueMs, embedMs, started);
        }
    }

    private QueryReply Ok(QueryRequest request, WatchConfirmation watch, double? queueMs, double embedMs, long started) =>
        new(1, request.RequestId, QueryReply.StatusOk, [], null, null, ReplyTimings.Of(time, queueMs, embedMs, 0, started), "miss", Watch: watch);

    private QueryReply Failure(QueryRequest request, string code, string message, double? queueMs, double embedMs, long started) =>
        QueryReply.Failure(request.RequestId, code, message, ReplyTimings.Of(time, queueMs, embedMs, 0, started));

    private static partial class Log
    {
        [LoggerMessage(5800, LogLevel.Information, "Watch {Id} of tenant {Tenant} registered: threshold {Threshold}, notifying {NotifyTo}")]
        public static partial void Added(ILogger logger, string id, string tenant, double threshold, string notifyTo);

        [LoggerMessage(5801, LogLevel.Information, "Watch {Id} of tenant {Tenant} removed")]
        public static partial void Removed(ILogger logger, string id, string tenant);
    }
}
