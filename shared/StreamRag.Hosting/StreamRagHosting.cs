using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Hosting;

/// <summary>The wiring every StreamRag host shares: options, Redis, keys, index, embedder, metrics.</summary>
public static class StreamRagHosting
{
    /// <summary>Name of the meter every host's instruments live on.</summary>
    public const string MeterName = "StreamRag";

    public static IHostApplicationBuilder AddStreamRagCore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var config = builder.Configuration;

        services.AddOptionsWithValidateOnStart<RedisOptions, RedisOptionsValidator>().Bind(config.GetSection(RedisOptions.Section));
        services.AddOptionsWithValidateOnStart<IndexOptions, IndexOptionsValidator>().Bind(config.GetSection(IndexOptions.Section));
        services.AddOptionsWithValidateOnStart<EmbeddingOptions, EmbeddingOptionsValidator>().Bind(config.GetSection(EmbeddingOptions.Section));
        services.AddOptionsWithValidateOnStart<ConsumerGroupOptions, ConsumerGroupOptionsValidator>().Bind(config.GetSection(ConsumerGroupOptions.Section));
        services.AddOptionsWithValidateOnStart<MetricsOptions, MetricsOptionsValidator>().Bind(config.GetSection(MetricsOptions.Section));
        services.AddOptionsWithValidateOnStart<RetentionOptions, RetentionOptionsValidator>().Bind(config.GetSection(RetentionOptions.Section));
        services.AddSingleton<IValidateOptions<EmbeddingOptions>, EmbeddingMatchesIndex>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(ContractLimits.Default);
        services.AddSingleton<RedisConnections>();
        services.AddSingleton(sp => new KeySchema(sp.GetRequiredService<IOptions<RedisOptions>>().Value));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ConsumerGroupOptions>>().Value);
        services.AddSingleton<ConsumerGroupRunner>();
        services.AddSingleton<IVectorIndex, VectorSetIndex>();
        services.AddSingleton<RetentionPolicy>();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
            new HashingEmbeddingGenerator(sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value.Dimensions));

        var metrics = config.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (metrics.PrometheusPort > 0)
        {
            services.AddOpenTelemetry().WithMetrics(m => m
                .AddMeter(MeterName)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = "localhost";
                    o.Port = metrics.PrometheusPort;
                }));
        }

        return builder;
    }

    /// <summary>A consumer name unique to this process (several hosts may share one machine, or one test process).</summary>
    public static string ConsumerName(ConsumerGroupOptions options, string role)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ConsumerName ?? $"{role}-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
    }

    /// <summary>An embedder whose vectors cannot fit the index must stop start-up, not fail every write.</summary>
    private sealed class EmbeddingMatchesIndex(IOptions<IndexOptions> index) : IValidateOptions<EmbeddingOptions>
    {
        public ValidateOptionsResult Validate(string? name, EmbeddingOptions options) =>
            options.Dimensions == index.Value.Dimensions
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"Embedding:Dimensions ({options.Dimensions}) must equal Index:Dimensions ({index.Value.Dimensions})");
    }
}
