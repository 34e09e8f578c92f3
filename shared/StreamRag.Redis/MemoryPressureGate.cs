using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// Closes the intake while Redis memory is nearly full. Redis runs with <c>noeviction</c>, so the
/// alternative would be failed writes; pausing intake instead leaves events safely in the stream
/// until memory is freed (retention, operator action), and then resumes by itself.
/// With no maxmemory set there is no ceiling to measure against, and the gate stays open. On a Redis
/// Cluster the ratio is that of the master nearest its maxmemory.
/// </summary>
public sealed partial class MemoryPressureGate(
    RedisConnections connections,
    IOptions<BackPressureOptions> options,
    TimeProvider time,
    ILogger<MemoryPressureGate> logger) : IIntakeGate, IDisposable
{
    private readonly BackPressureOptions settings = options.Value;
    private readonly SemaphoreSlim measuring = new(1, 1);
    private long checkedAt = long.MinValue;

    /// <summary>True while intake is paused.</summary>
    public bool IsPaused { get; private set; }

    /// <summary>Last measured used_memory / maxmemory (0 when maxmemory is unset).</summary>
    public double MemoryRatio { get; private set; }

    public async ValueTask WaitOpenAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (IsStale())
            {
                // Callers arrive together (the read loop and every batch): one measures, the others
                // wait for its answer instead of trusting a decision that is being revised.
                await measuring.WaitAsync(cancellationToken);
                try
                {
                    if (IsStale())
                    {
                        await MeasureAsync();
                    }
                }
                finally
                {
                    measuring.Release();
                }
            }

            if (!IsPaused)
            {
                return;
            }

            await Task.Delay(settings.PollInterval, time, cancellationToken);
        }
    }

    public void Dispose() => measuring.Dispose();

    private bool IsStale() => checkedAt == long.MinValue || time.GetElapsedTime(checkedAt) >= settings.PollInterval;

    private async Task MeasureAsync()
    {
        try
        {
            // On a cluster, every master: the fullest one refuses writes first.
            if (await RedisPrimaries.FullestMemoryAsync(await connections.GetSharedAsync()) is not { } memory)
            {
                return;
            }

            MemoryRatio = memory.Max > 0 ? (double)memory.Used / memory.Max : 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Unknown memory: keep the last decision; the runner's own error handling covers an outage.
            return;
        }
        finally
        {
            checkedAt = time.GetTimestamp();
        }

        if (!IsPaused && MemoryRatio >= settings.PauseAbove)
        {
            IsPaused = true;
            Log.Paused(logger, MemoryRatio, settings.PauseAbove, settings.ResumeBelow);
        }
        else if (IsPaused && MemoryRatio < settings.ResumeBelow)
        {
            IsPaused = false;
            Log.Resumed(logger, MemoryRatio);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1020, LogLevel.Warning, "Redis memory at {Ratio:P0} of maxmemory (pause above {PauseAbove:P0}): intake paused until below {ResumeBelow:P0}; events wait safely in the stream")]
        public static partial void Paused(ILogger logger, double ratio, double pauseAbove, double resumeBelow);

        [LoggerMessage(1021, LogLevel.Information, "Redis memory at {Ratio:P0} of maxmemory: intake resumed")]
        public static partial void Resumed(ILogger logger, double ratio);
    }
}
