using Microsoft.Extensions.Options;

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
        // A periodic timer, not a delay after each pass: a tick that falls due during a long pass is
        // kept, so a backlog is followed by the next pass at once.
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        var failures = 0;
        try
        {
            do
            {
                try
                {
                    await sweeper.SweepOnceAsync(stoppingToken);
                    failures = 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Redis down, or a bug: either way the next interval tries again, and the failures counter shows it.
                    failures++;
                    metrics.Failures.Add(1);
                    Log.PassFailed(logger, ex, failures);
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
        [LoggerMessage(3001, LogLevel.Error, "Sweep pass failed ({Failures} in a row); retrying next interval")]
        public static partial void PassFailed(ILogger logger, Exception ex, int failures);
    }
}
