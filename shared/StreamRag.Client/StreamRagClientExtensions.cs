using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Redis;
using StreamRag.Settings;

namespace StreamRag.Client;

public static class StreamRagClientExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="StreamRagClient"/> for an app or an upstream system, reading
    /// the <c>Redis</c> section (Configuration, KeyPrefix) and the <c>Streams</c> section (Partitions)
    /// of <paramref name="configuration"/>.
    /// </summary>
    public static IServiceCollection AddStreamRagClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddStreamRagClient(
            o => configuration.GetSection(RedisOptions.Section).BindStrictly(o),
            o => configuration.GetSection(StreamOptions.Section).BindStrictly(o));
    }

    /// <summary>Registers a singleton <see cref="StreamRagClient"/> configured in code.</summary>
    public static IServiceCollection AddStreamRagClient(this IServiceCollection services, Action<RedisOptions> configure, Action<StreamOptions>? configureStreams = null)
    {
        services.AddOptionsWithValidateOnStart<RedisOptions, RedisOptionsValidator>().Configure(configure);
        services.AddOptionsWithValidateOnStart<StreamOptions, StreamOptionsValidator>().Configure(o => configureStreams?.Invoke(o));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            var redis = ConnectionMultiplexer.Connect(RedisConnections.CreateConfiguration(options));
            var keys = new KeySchema(options, sp.GetRequiredService<IOptions<StreamOptions>>().Value);
            return new StreamRagClient(redis, keys, sp.GetService<TimeProvider>(), sp.GetService<ILogger<StreamRagClient>>(), ownsConnection: true, new ReplicaAcknowledgement(Options.Create(options)));
        });
        return services;
    }
}
