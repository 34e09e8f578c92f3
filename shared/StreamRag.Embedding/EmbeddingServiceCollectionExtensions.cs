using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamRag.Settings;

namespace StreamRag.Embedding;

public static class EmbeddingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>Embedding</c> and <c>Chunking</c> options (validated at start-up), the
    /// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of the configured provider (hashing,
    /// openai behind the resilience pipeline, or an <see cref="IInProcessEmbeddingProvider"/> such as
    /// <c>local</c> that the host registers too) and the matching <see cref="IChunker"/>.
    /// Uses the registered <see cref="TimeProvider"/> (the system clock if none).
    /// </summary>
    public static IServiceCollection AddStreamRagEmbedding(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSettings<EmbeddingOptions, EmbeddingOptionsValidator>(configuration, EmbeddingOptions.Section);
        services.AddSettings<ChunkingOptions, ChunkingOptionsValidator>(configuration, ChunkingOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => EmbeddingProviders.CreateGenerator(
            sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetServices<IInProcessEmbeddingProvider>()));
        services.AddSingleton(sp => EmbeddingProviders.CreateChunker(
            sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value,
            sp.GetRequiredService<IOptions<ChunkingOptions>>().Value,
            sp.GetServices<IInProcessEmbeddingProvider>()));
        return services;
    }
}
