using Microsoft.Extensions.Options;
using StreamRag.Hosting;

namespace StreamRag.Sweeper;

/// <summary>Runs a sweep pass at start and then every <see cref="SweeperOptions.Interval"/>.</summary>
internal sealed partial class SweeperWorker(
    ExpirySweeper sweeper,
    IOptions<SweeperOptions> options,
    SweeperMetrics metrics,
    TimeProvider time,
    ILogger<SweeperWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await PeriodicPass.RunAsync(options.Value.Interval, time, sweeper.SweepOnceAsync, (ex, failures) =>
        {
            metrics.Failures.Add(1);
            Log.PassFailed(logger, ex, failures);
        }, stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Error, "Sweep pass failed ({Failures} in a row); retrying next interval")]
        public static partial void PassFailed(ILogger logger, Exception ex, int failures);
    }
}
