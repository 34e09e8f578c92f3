using StreamRag.Hosting;
using StreamRag.Redis;

namespace StreamRag.Query;

/// <summary>Consumes every partition of the query-request stream as one consumer of the query workers' group.</summary>
internal sealed class QueryWorker(ConsumerGroupRunner runner, ConsumerGroupOptions options, KeySchema keys, QueryRequestHandler handler, QueryWarmUp warmUp) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A request without a traceparent starts a trace of its own, whatever started this host.
        System.Diagnostics.Activity.Current = null;
        await warmUp.RunAsync(stoppingToken);
        var consumer = StreamRagHosting.ConsumerName(options, "query");
        await runner.RunAsync(
            keys.QueryRequestStreams.Select(p => new StreamConsumerSpec(p.Stream, p.DeadLetters, keys.QueryGroup, consumer)).ToArray(),
            handler,
            stoppingToken);
    }
}
