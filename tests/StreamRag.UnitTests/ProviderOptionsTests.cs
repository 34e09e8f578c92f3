using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamRag.Embedding;
using StreamRag.Embedding.Local;
using StreamRag.Generation;

namespace StreamRag.UnitTests;

/// <summary>Start-up validation of the provider settings, and what the registrations resolve to.</summary>
public sealed class ProviderOptionsTests
{
    private static ServiceProvider Services(params (string Key, string Value)[] settings) => Services(local: true, settings);

    private static ServiceProvider Services(bool local, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection().AddStreamRagEmbedding(configuration).AddStreamRagAnswers(configuration);
        if (local)
        {
            services.AddSingleton(SharedLocalModels.Models).AddStreamRagLocalEmbedding();
        }

        return services.BuildServiceProvider();
    }

    [Fact]
    public void Defaults_AreTheLocalArcticModelWithItsOwnTokenChunksAndExtractiveAnswers()
    {
        using var services = Services();

        var generator = Assert.IsType<LocalEmbeddingGenerator>(services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Equal(("local", "snowflake-arctic-embed-xs", 384), (generator.Metadata().ProviderName, generator.Metadata().DefaultModelId, generator.Metadata().DefaultModelDimensions));
        Assert.Equal("tokens:snowflake-arctic-embed-xs:200/40", Assert.IsType<WordPieceChunker>(services.GetRequiredService<IChunker>()).Fingerprint);
        Assert.IsType<ExtractiveAnswerGenerator>(services.GetRequiredService<IAnswerGenerator>());
    }

    [Fact]
    public void LocalModel_InAHostWithoutTheLocalProvider_FailsWithAClearMessage()
    {
        using var services = Services(local: false);

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Contains("built without it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashingSettings_ResolveTheHashingGeneratorAndWordChunks()
    {
        using var services = Services(("Embedding:Provider", "hashing"));

        Assert.IsType<HashingEmbeddingGenerator>(services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.IsType<TextChunker>(services.GetRequiredService<IChunker>());
    }

    [Fact]
    public void MiniLmSettings_ResolveThatModel()
    {
        using var services = Services(("Embedding:Model", "all-MiniLM-L6-v2"), ("Embedding:Local:IntraOpThreads", "2"));

        Assert.Equal("all-MiniLM-L6-v2", services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>().Metadata().DefaultModelId);
        Assert.Equal("tokens:all-MiniLM-L6-v2:200/40", services.GetRequiredService<IChunker>().Fingerprint);
    }

    [Fact]
    public void OpenAISettings_ResolveTheResilientGeneratorTokenChunkerAndChatAnswers()
    {
        using var services = Services(
            ("Embedding:Provider", "openai"), ("Embedding:Model", "text-embedding-3-small"), ("Embedding:Dimensions", "256"),
            ("Embedding:BaseUrl", "http://127.0.0.1:9/v1"), ("Embedding:Resilience:MaxRetries", "2"),
            ("Chunking:Size", "300"), ("Chunking:Overlap", "30"),
            ("Answer:Provider", "openai"), ("Answer:Model", "gpt-4o-mini"));

        Assert.IsType<ResilientEmbeddingGenerator>(services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Equal("tokens:model=text-embedding-3-small:300/30", services.GetRequiredService<IChunker>().Fingerprint);
        Assert.IsType<ChatAnswerGenerator>(services.GetRequiredService<IAnswerGenerator>());
        Assert.Equal(2, services.GetRequiredService<IOptions<EmbeddingOptions>>().Value.Resilience.MaxRetries);
    }

    [Theory]
    [InlineData("Embedding:Provider", "openai", "Embedding:Model is required")]
    [InlineData("Embedding:Provider", "cohere", "Provider")]
    [InlineData("Embedding:BaseUrl", "localhost:11434", "Embedding:BaseUrl")]
    [InlineData("Embedding:Resilience:MaxRetries", "-1", "MaxRetries")]
    [InlineData("Embedding:Tokenizer", "p50k_base", "Tokenizer")]
    [InlineData("Embedding:Model", "bge-small-en", "is not a local model")]
    [InlineData("Embedding:Dimensions", "256", "must be 384, the dimension of snowflake-arctic-embed-xs")]
    [InlineData("Embedding:Local:ExecutionProvider", "rocm", "ExecutionProvider")]
    [InlineData("Embedding:Local:IntraOpThreads", "-1", "IntraOpThreads")]
    [InlineData("Embedding:Local:MaxBatchTokens", "100", "MaxBatchTokens")]
    [InlineData("Embedding:Local:Precision", "fp16", "Precision")]
    public void InvalidEmbeddingSettings_FailValidation(string key, string value, string message)
    {
        using var services = Services((key, value));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<EmbeddingOptions>>().Value);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Answer:Provider", "openai", "Answer:Model is required")]
    [InlineData("Answer:MaxPassages", "0", "MaxPassages")]
    [InlineData("Answer:Resilience:Timeout", "00:00:00", "Timeout")]
    public void InvalidAnswerSettings_FailValidation(string key, string value, string message)
    {
        using var services = Services((key, value));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AnswerOptions>>().Value);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestDimensions_DefaultsToModelsKnownToShortenVectors()
    {
        Assert.True(new EmbeddingOptions { Model = "text-embedding-3-large" }.SendsDimensions);
        Assert.False(new EmbeddingOptions { Model = "nomic-embed-text" }.SendsDimensions);
        Assert.True(new EmbeddingOptions { Model = "my-matryoshka", RequestDimensions = true }.SendsDimensions);
    }
}

internal static class GeneratorMetadataExtensions
{
    public static EmbeddingGeneratorMetadata Metadata(this IEmbeddingGenerator<string, Embedding<float>> generator) =>
        generator.GetService<EmbeddingGeneratorMetadata>()!;
}
