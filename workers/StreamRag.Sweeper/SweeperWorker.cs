using Microsoft.Extensions.Options;
using StreamRag.Hosting;
using StreamRag.Index;

namespace StreamRag.Sweeper;

/// <summary>Runs a sweep pass at start and then every <see cref="SweeperOptions.Interval"/>.</summary>
internal sealed partial class SweeperWorker(
    ExpirySweeper sweeper,
    WatchStore watches,
    IOptions<SweeperOptions> options,
    SweeperMetrics metrics,
    TimeProvider time,
    ILogger<SweeperWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await PeriodicPass.RunAsync(options.Value.Interval, time, PassAsync, (ex, failures) =>
        {
            metrics.Failures.Add(1);
            Log.PassFailed(logger, ex, failures);
        }, stoppingToken);
    }

    /// <summary>Expired documents, then expired watches (which never match once expired: this frees their memory and their place in the limits).</summary>
    private async Task PassAsync(CancellationToken cancellationToken)
    {
        await sweeper.SweepOnceAsync(cancellationToken);
        var removed = await watches.RemoveExpiredAsync(options.Value.BatchSize, cancellationToken);
        if (removed > 0)
        {
            Log.WatchesExpired(logger, removed);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3900, LogLevel.Information, "Removed {Count} expired watches")]
        public static partial void WatchesExpired(ILogger logger, long count);

        [LoggerMessage(3001, LogLevel.Error, "Sweep pass failed ({Failures} in a row); retrying next interval")]
        public static partial void PassFailed(ILogger logger, Exception ex, int failures);
    }
}
