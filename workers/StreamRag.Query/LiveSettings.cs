using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Query;

/// <summary>
/// Settings the monitor tunes while the fleet runs (search EF), re-read from the settings hash
/// every few moments so query workers follow without a restart.
/// </summary>
internal sealed partial class LiveSettings(RedisConnections connections, KeySchema keys, IOptions<QueryOptions> options, TimeProvider time, ILogger<LiveSettings> logger) : BackgroundService
{
    private int searchEf;

    /// <summary>The tuned search EF, or null when none is published.</summary>
    public int? SearchEf => Volatile.Read(ref searchEf) is var ef && ef > 0 ? ef : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await RefreshAsync();
            await Task.Delay(options.Value.SettingsRefresh, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    internal async Task RefreshAsync()
    {
        try
        {
            var db = (await connections.GetSharedAsync()).GetDatabase();
            var value = await db.HashGetAsync(keys.Settings, SettingsFields.SearchEf);
            var ef = int.TryParse((string?)value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is > 0 and <= 4096 ? parsed : 0;
            if (Interlocked.Exchange(ref searchEf, ef) != ef)
            {
                Log.EfChanged(logger, ef);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Keep the last known value through an outage.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(5100, LogLevel.Information, "Search EF is now {Ef} (0 = the index default), as published in the settings hash")]
        public static partial void EfChanged(ILogger logger, int ef);
    }
}
