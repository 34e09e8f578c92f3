using Microsoft.Extensions.Options;
using StreamRag.Hosting;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>
/// Consumes the query-metrics stream (as one consumer of the monitors' group) into the window, and
/// evaluates every <see cref="MonitorOptions.EvaluationInterval"/>.
/// </summary>
internal sealed partial class MonitorWorker(
    ConsumerGroupRunner runner,
    ConsumerGroupOptions consumer,
    KeySchema keys,
    QueryMetricsHandler handler,
    MonitorService monitor,
    IOptions<MonitorOptions> options,
    MonitorMetrics metrics,
    TimeProvider time,
    ILogger<MonitorWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            runner.RunAsync(
                new StreamConsumerSpec(keys.QueryMetrics, keys.QueryMetricsDeadLetters, keys.MonitorGroup, StreamRagHosting.ConsumerName(consumer, "monitor")),
                handler,
                stoppingToken),
            EvaluateLoopAsync(stoppingToken));

    private async Task EvaluateLoopAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        // A periodic timer keeps a tick that falls due during a slow evaluation, so none is lost.
        using var timer = new PeriodicTimer(options.Value.EvaluationInterval, time);
        var failures = 0;
        try
        {
            do
            {
                try
                {
                    await monitor.EvaluateOnceAsync(stoppingToken);
                    failures = 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Redis down, or a bug: either way the next interval tries again, and the failures counter shows it.
                    failures++;
                    metrics.EvaluationFailures.Add(1);
                    Log.EvaluationFailed(logger, ex, failures);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4300, LogLevel.Error, "Evaluation failed ({Failures} in a row); retrying next interval")]
        public static partial void EvaluationFailed(ILogger logger, Exception ex, int failures);
    }
}
