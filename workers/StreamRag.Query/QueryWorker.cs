using StreamRag.Hosting;
using StreamRag.Redis;

namespace StreamRag.Query;

/// <summary>Consumes the query-request stream as one consumer of the query workers' group.</summary>
internal sealed class QueryWorker(ConsumerGroupRunner runner, ConsumerGroupOptions options, KeySchema keys, QueryRequestHandler handler) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await handler.WarmUpAsync(stoppingToken);
        await runner.RunAsync(
            new StreamConsumerSpec(keys.QueryRequests, keys.QueryDeadLetters, keys.QueryGroup, StreamRagHosting.ConsumerName(options, "query")),
            handler,
            stoppingToken);
    }
}
