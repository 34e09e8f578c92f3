namespace StreamRag.Hosting;

/// <summary>The loop of a host that works in passes (sweeper, monitor): one now, then one per interval.</summary>
public static class PeriodicPass
{
    /// <summary>
    /// Runs <paramref name="pass"/> at once and then every <paramref name="interval"/> until stopped.
    /// A periodic timer, not a delay after each pass: a tick that falls due during a long pass is kept,
    /// so a backlog is followed by the next pass at once. A failed pass (Redis down, or a bug) is
    /// reported with the count of failures in a row, and the next interval tries again.
    /// </summary>
    public static async Task RunAsync(
        TimeSpan interval,
        TimeProvider time,
        Func<CancellationToken, Task> pass,
        Action<Exception, int> failed,
        CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(failed);
        using var timer = new PeriodicTimer(interval, time);
        var failures = 0;
        try
        {
            do
            {
                try
                {
                    await pass(stoppingToken);
                    failures = 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    failed(ex, ++failures);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
