using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI.Embeddings;

namespace StreamRag.Embedding;

/// <summary>Builds the embedding generator and the chunker that go with the configured provider.</summary>
public static class EmbeddingProviders
{
    /// <summary>Name of the provider pipeline in logs and telemetry.</summary>
    public const string PipelineName = "embedding";

    /// <summary>
    /// <c>hashing</c>: the offline generator. <c>openai</c>: the OpenAI SDK's embedding client for
    /// the configured endpoint, wrapped in <see cref="ResilientEmbeddingGenerator"/>. <c>local</c>:
    /// the registered <see cref="IInProcessEmbeddingProvider"/> of that name.
    /// </summary>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateGenerator(
        EmbeddingOptions options, TimeProvider time, ILoggerFactory loggers, IEnumerable<IInProcessEmbeddingProvider>? inProcess = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        switch (options.Provider)
        {
            case EmbeddingOptions.HashingProvider:
                return new HashingEmbeddingGenerator(options.Dimensions);
            case EmbeddingOptions.OpenAIProvider:
                break;
            default:
                return InProcess(options, inProcess).CreateGenerator(options);
        }

        var model = options.Model ?? throw new InvalidOperationException("Embedding:Model is required when Embedding:Provider is openai");
        var client = new EmbeddingClient(model, ProviderEndpoint.Credential(options.ApiKey), ProviderEndpoint.ClientOptions(options.BaseUrl));
        var inner = client.AsIEmbeddingGenerator(options.SendsDimensions ? options.Dimensions : null);
        var pipeline = ProviderResilience.Create(options.Resilience, time, loggers.CreateLogger<ResilientEmbeddingGenerator>(), PipelineName);
        var where = string.IsNullOrWhiteSpace(options.BaseUrl) ? "" : $" at {options.BaseUrl}";
        return new ResilientEmbeddingGenerator(inner, pipeline, time, options.Dimensions, $"embedding provider openai ({model}{where})");
    }

    /// <summary>
    /// Words for <c>hashing</c>; model tokens, capped at <see cref="EmbeddingOptions.MaxInputTokens"/>, for
    /// <c>openai</c>; the model's own WordPiece tokens, capped at its window, for <c>local</c>.
    /// </summary>
    public static IChunker CreateChunker(EmbeddingOptions embedding, ChunkingOptions chunking, IEnumerable<IInProcessEmbeddingProvider>? inProcess = null)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        ArgumentNullException.ThrowIfNull(chunking);
        switch (embedding.Provider)
        {
            case EmbeddingOptions.HashingProvider:
                return new TextChunker(chunking.Size, chunking.Overlap);
            case EmbeddingOptions.OpenAIProvider:
                var (tokenizer, name) = TokenChunker.CreateTokenizer(embedding.Tokenizer, embedding.Model);
                return new TokenChunker(tokenizer, chunking.Size, chunking.Overlap, embedding.MaxInputTokens, name);
            default:
                return InProcess(embedding, inProcess).CreateChunker(embedding, chunking);
        }
    }

    /// <summary>
    /// Provider name, model id and dimension the configuration selects, known without loading or
    /// calling the model (a host that never embeds can still record or check them).
    /// </summary>
    public static EmbeddingGeneratorMetadata Describe(EmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = options.Provider switch
        {
            EmbeddingOptions.HashingProvider => HashingEmbeddingGenerator.ModelId,
            EmbeddingOptions.LocalProvider => options.LocalModel?.Name ?? options.Model,
            _ => options.Model,
        };
        return new EmbeddingGeneratorMetadata(options.Provider, providerUri: null, model, options.Dimensions);
    }

    private static IInProcessEmbeddingProvider InProcess(EmbeddingOptions options, IEnumerable<IInProcessEmbeddingProvider>? inProcess) =>
        inProcess?.FirstOrDefault(p => p.Provider == options.Provider)
        ?? throw new InvalidOperationException(
            $"Embedding:Provider is {options.Provider}, which runs in-process, but this host was built without it: "
            + "only the embedder and query hosts carry the local models (StreamRag.Embedding.Local, AddStreamRagLocalEmbedding). "
            + "Run this host with Embedding:Provider=hashing or openai, or add the local provider to it.");
}
