using Microsoft.Extensions.Options;

namespace StreamRag.Monitor;

/// <summary>Evaluates at start and then every <see cref="MonitorOptions.EvaluationInterval"/>.</summary>
internal sealed partial class MonitorWorker(
    MonitorService monitor,
    IOptions<MonitorOptions> options,
    MonitorMetrics metrics,
    TimeProvider time,
    ILogger<MonitorWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
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
