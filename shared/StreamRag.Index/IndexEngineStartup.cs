using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// Chooses the engine when the host starts, so the choice is logged, checked against the index
/// manifest, and a Query Engine index created (or its schema mismatch reported) before any work. A
/// host whose engine or model contradicts the manifest does not start. While Redis does not answer
/// (or answers LOADING), the start waits and retries with a growing pause: nothing else can work
/// without Redis, and no host may work before it knows which index it serves.
/// </summary>
internal sealed partial class IndexEngineStartup(SelectedVectorIndex index, TimeProvider time, ILogger<IndexEngineStartup> logger) : IHostedService
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var pause = FirstPause;
        while (true)
        {
            try
            {
                await index.EngineAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (RedisErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                Log.Waiting(logger, ex.Message, pause);
                await Task.Delay(pause, time, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !RedisErrors.IsTransient(ex))
            {
                Log.Refused(logger, ex.Message);
                throw;
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1411, LogLevel.Warning, "Index engine not chosen yet, Redis did not answer ({Reason}); retrying in {Pause}")]
        public static partial void Waiting(ILogger logger, string reason, TimeSpan pause);

        [LoggerMessage(1412, LogLevel.Critical, "This host does not start: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);
    }
}
