using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Cli;

/// <summary>One command's connection to Redis, opened with a short timeout so an unreachable server is one clear error.</summary>
public sealed class CliSession : IAsyncDisposable
{
    private CliSession(ConnectionMultiplexer redis, RedisConnections connections, KeySchema keys)
    {
        Redis = redis;
        Connections = connections;
        Keys = keys;
    }

    public ConnectionMultiplexer Redis { get; }

    /// <summary>For the library code that takes the hosts' connection owner; it connects only when used.</summary>
    public RedisConnections Connections { get; }

    public KeySchema Keys { get; }

    public IDatabase Db => Redis.GetDatabase();

    public static async Task<CliSession> OpenAsync(GlobalSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.RedisOptions;
        ConfigurationOptions config;
        try
        {
            config = RedisConnections.CreateConfiguration(options);
        }
        catch (ArgumentException ex)
        {
            throw CliException.Usage($"--redis: not a Redis configuration ({ex.Message})");
        }

        // Fail now rather than retry in the background as the hosts do.
        config.AbortOnConnectFail = true;
        config.ConnectRetry = 1;
        config.ConnectTimeout = 3_000;
        config.AllowAdmin = true;
        try
        {
            var redis = await ConnectionMultiplexer.ConnectAsync(config);
            return new CliSession(redis, new RedisConnections(Microsoft.Extensions.Options.Options.Create(options)), new KeySchema(options));
        }
        catch (RedisConnectionException ex)
        {
            throw new CliException(ExitCodes.RedisUnreachable, $"cannot reach Redis at {options.Configuration} ({FirstSentence(ex.Message)}); is it running? (--redis or STREAMRAG_REDIS)");
        }
    }

    // StackExchange.Redis appends advice about abortConnect that does not apply to a one-shot command.
    private static string FirstSentence(string message)
    {
        var end = message.IndexOfAny(['.', '\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await Connections.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
