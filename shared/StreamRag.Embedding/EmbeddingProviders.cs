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
    /// the configured endpoint, wrapped in <see cref="ResilientEmbeddingGenerator"/>.
    /// </summary>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateGenerator(EmbeddingOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        if (options.Provider != EmbeddingOptions.OpenAIProvider)
        {
            return new HashingEmbeddingGenerator(options.Dimensions);
        }

        var model = options.Model ?? throw new InvalidOperationException("Embedding:Model is required when Embedding:Provider is openai");
        var client = new EmbeddingClient(model, ProviderEndpoint.Credential(options.ApiKey), ProviderEndpoint.ClientOptions(options.BaseUrl));
        var inner = client.AsIEmbeddingGenerator(options.SendsDimensions ? options.Dimensions : null);
        var pipeline = ProviderResilience.Create(options.Resilience, time, loggers.CreateLogger<ResilientEmbeddingGenerator>(), PipelineName);
        var where = string.IsNullOrWhiteSpace(options.BaseUrl) ? "" : $" at {options.BaseUrl}";
        return new ResilientEmbeddingGenerator(inner, pipeline, time, options.Dimensions, $"embedding provider openai ({model}{where})");
    }

    /// <summary>Words for <c>hashing</c>; model tokens, capped at <see cref="EmbeddingOptions.MaxInputTokens"/>, for <c>openai</c>.</summary>
    public static IChunker CreateChunker(EmbeddingOptions embedding, ChunkingOptions chunking)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        ArgumentNullException.ThrowIfNull(chunking);
        if (embedding.Provider != EmbeddingOptions.OpenAIProvider)
        {
            return new TextChunker(chunking.Size, chunking.Overlap);
        }

        var (tokenizer, name) = TokenChunker.CreateTokenizer(embedding.Tokenizer, embedding.Model);
        return new TokenChunker(tokenizer, chunking.Size, chunking.Overlap, embedding.MaxInputTokens, name);
    }
}
