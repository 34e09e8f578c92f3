using Microsoft.Extensions.Options;
using StreamRag.Hosting;

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
        await PeriodicPass.RunAsync(options.Value.EvaluationInterval, time, monitor.EvaluateOnceAsync, (ex, failures) =>
        {
            metrics.EvaluationFailures.Add(1);
            Log.EvaluationFailed(logger, ex, failures);
        }, stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(4300, LogLevel.Error, "Evaluation failed ({Failures} in a row); retrying next interval")]
        public static partial void EvaluationFailed(ILogger logger, Exception ex, int failures);
    }
}
