using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StreamRag.Embedding.Local;

public static class LocalEmbeddingServiceCollectionExtensions
{
    /// <summary>
    /// Makes <c>Embedding:Provider=local</c> available to <c>AddStreamRagEmbedding</c>: the models
    /// (one <see cref="LocalEmbeddingModels"/> per container, unless one is registered already, e.g.
    /// shared by several test hosts in one process) and the provider that builds the generator and
    /// the WordPiece chunker from them.
    /// </summary>
    public static IServiceCollection AddStreamRagLocalEmbedding(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<LocalEmbeddingModels>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInProcessEmbeddingProvider, LocalEmbeddingProvider>());
        return services;
    }

    private sealed class LocalEmbeddingProvider(LocalEmbeddingModels models) : IInProcessEmbeddingProvider
    {
        public string Provider => EmbeddingOptions.LocalProvider;

        public IEmbeddingGenerator<string, Embedding<float>> CreateGenerator(EmbeddingOptions options) =>
            new LocalEmbeddingGenerator(models.Get(SpecOf(options), options.Local));

        public IChunker CreateChunker(EmbeddingOptions embedding, ChunkingOptions chunking)
        {
            var spec = SpecOf(embedding);
            return new WordPieceChunker(models.Tokenizer(spec), spec, chunking.Size, chunking.Overlap);
        }

        private static LocalModelSpec SpecOf(EmbeddingOptions options) =>
            options.LocalModel ?? throw new InvalidOperationException($"Embedding:Model ({options.Model}) is not a local model");
    }
}
