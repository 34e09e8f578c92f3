using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Redis;
using StreamRag.Settings;
using StreamRag.Telemetry;

namespace StreamRag.Hosting;

/// <summary>
/// The wiring of the hosts: what every host shares (<see cref="AddStreamRagCore"/>: options, Redis,
/// keys, the index, metrics, logs), and what only some use, added by those that do: consuming a
/// stream with a group (<see cref="AddStreamConsumer"/>), embedding (<see cref="AddEmbedding"/>),
/// retention (<see cref="AddRetention"/>).
/// </summary>
public static class StreamRagHosting
{
    /// <param name="serviceName">OpenTelemetry <c>service.name</c> of the host (<see cref="ServiceNames"/>).</param>
    public static IHostApplicationBuilder AddStreamRagCore(this IHostApplicationBuilder builder, string serviceName = "streamrag")
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var config = builder.Configuration;

        services.AddSettings<RedisOptions, RedisOptionsValidator>(config, RedisOptions.Section);
        services.AddSettings<StreamOptions, StreamOptionsValidator>(config, StreamOptions.Section);
        services.AddSettings<IndexOptions, IndexOptionsValidator>(config, IndexOptions.Section, SearchIndexOptions.IndexChild);
        services.AddSettings<ConsumerGroupOptions, ConsumerGroupOptionsValidator>(config, ConsumerGroupOptions.Section);
        services.AddSettings<MetricsOptions, MetricsOptionsValidator>(config, MetricsOptions.Section);
        services.AddSettings<TelemetryOptions, TelemetryOptionsValidator>(config, TelemetryOptions.Section);
        services.AddSettings<WatchOptions, WatchOptionsValidator>(config, WatchOptions.Section);
        services.AddMetrics();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(ContractLimits.Default);
        services.AddSingleton<RedisConnections>();
        services.AddSingleton(sp => new KeySchema(sp.GetRequiredService<IOptions<RedisOptions>>().Value, sp.GetRequiredService<IOptions<StreamOptions>>().Value));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ConsumerGroupOptions>>().Value);
        // Index:Engine picks vector sets or the Redis Query Engine (docs/search-engine.md).
        services.AddStreamRagIndex().AddSearchIndexEngine(config);
        // Standing queries: registered by query workers, matched by embedders, expired by sweepers.
        services.AddSingleton<WatchStore>();
        services.AddSingleton<WatchMatcher>();

        var openTelemetry = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(serviceName));
        var metrics = config.GetSection(MetricsOptions.Section).GetStrictly<MetricsOptions>();
        if (metrics.PrometheusPort > 0)
        {
            // Checked here, not only by the options validator: the listener is configured before that runs.
            if (MetricsOptions.AddressError(metrics.ListenAddress) is { } addressError)
            {
                throw new HostStartupException(addressError);
            }

            ScrapePort.EnsureFree(metrics.PrometheusPort);
            openTelemetry.WithMetrics(m => m
                .AddMeter(StreamRagTelemetry.MeterName)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = "localhost";
                    o.Port = metrics.PrometheusPort;
                    o.ConfigureHttpListener = (_, listener) => ScrapePort.SetPrefixes(listener, metrics.ListenAddress, metrics.PrometheusPort);
                }));
            ListeningMeterFactory.Register(services);
        }

        // Spans are recorded only when something listens: the OTLP exporter when an endpoint is
        // set (an invalid one stops start-up through TelemetryOptionsValidator), or an in-process listener.
        var otlp = config.GetSection(TelemetryOptions.Section).GetStrictly<TelemetryOptions>().Otlp;
        if (otlp.TracesUri is { } traces)
        {
            openTelemetry.WithTracing(t => t
                .AddSource(StreamRagTelemetry.ActivitySourceName)
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = traces;
                    o.Protocol = otlp.Protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                }));
        }

        builder.Logging.AddStreamRagConsole();
        return builder;
    }

    /// <summary>
    /// For hosts that consume a stream with a consumer group (embedder, query worker): the runner, its
    /// memory back-pressure (<c>BackPressure</c>), and the embedding provider's passing failures known
    /// as transient (the entry is retried, not dead-lettered).
    /// </summary>
    public static IHostApplicationBuilder AddStreamConsumer(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSettings<BackPressureOptions, BackPressureOptionsValidator>(builder.Configuration, BackPressureOptions.Section);
        builder.Services.AddSingleton<MemoryPressureGate>();
        builder.Services.AddSingleton<ITransientFailureClassifier, EmbeddingProviderFailures>();
        builder.Services.AddSingleton<ConsumerGroupRunner>();
        return builder;
    }

    /// <summary>
    /// For hosts that embed (embedder, query worker): the provider of <c>Embedding</c>, whose dimension
    /// must equal the index's, and its model (id, provider, dimension, weights' precision), recorded in the index manifest by the first of them: a
    /// host with another model refuses to start (docs/operations.md#one-index-one-model).
    /// </summary>
    public static IHostApplicationBuilder AddEmbedding(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IValidateOptions<EmbeddingOptions>, EmbeddingMatchesIndex>();
        builder.Services.AddStreamRagEmbedding(builder.Configuration);
        builder.Services.TryAddSingleton(sp =>
        {
            var generator = sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
            var dimensions = sp.GetRequiredService<IOptions<IndexOptions>>().Value.Dimensions;
            var precision = generator.GetService<EmbeddingPrecision>() ?? EmbeddingPrecision.Default;
            return new IndexModel(metadata?.DefaultModelId ?? "unknown", metadata?.ProviderName ?? "", dimensions, precision.Value);
        });
        return builder;
    }

    /// <summary>For the host that writes documents (embedder): the default retention per source (<c>Retention</c>).</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSettings<RetentionOptions, RetentionOptionsValidator>(builder.Configuration, RetentionOptions.Section);
        builder.Services.AddSingleton<RetentionPolicy>();
        return builder;
    }

    /// <summary>The timestamp every console log line starts with (UTC, milliseconds), unless <c>Logging:Console:FormatterOptions:TimestampFormat</c> says otherwise.</summary>
    public const string LogTimestampFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'";

    /// <summary>
    /// Console logs with a UTC timestamp: the simple one-line format by default, JSON lines with
    /// <c>Logging:Console:FormatterName=json</c> (the standard switch). A timestamp format set in
    /// configuration wins over this default.
    /// </summary>
    public static ILoggingBuilder AddStreamRagConsole(this ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        // Named, not left unset: without a formatter name the console logger copies its own legacy
        // options (no timestamp) over the formatter's options.
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName ??= ConsoleFormatterNames.Simple);
        logging.Services.Configure<SimpleConsoleFormatterOptions>(o => StampUtc(o, LogTimestampFormat + " "));
        logging.Services.Configure<JsonConsoleFormatterOptions>(o => StampUtc(o, LogTimestampFormat));
        return logging;
    }

    private static void StampUtc(ConsoleFormatterOptions options, string format)
    {
        if (options.TimestampFormat is null)
        {
            options.TimestampFormat = format;
            options.UseUtcTimestamp = true;
        }
    }

    /// <summary>
    /// Defaults of one kind of host (e.g. the embedder's batch fill wait), added beneath every other
    /// configuration source so appsettings, environment variables and arguments still override them.
    /// </summary>
    public static IHostApplicationBuilder AddDefaultSettings(this IHostApplicationBuilder builder, IDictionary<string, string?> defaults)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = defaults });
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
