using StreamRag.Embedding;
using StreamRag.Index;

namespace StreamRag.UnitTests;

public sealed class PassagesTests
{
    private static readonly HashingEmbeddingGenerator Embedder = new(384);

    private static TextChunk[] Cut(params string[] texts) => texts.Select((t, i) => new TextChunk(i, t)).ToArray();

    [Fact]
    public void Distinct_DropsRepeats_AndRenumbersInOrderOfFirstAppearance()
    {
        var distinct = Passages.Distinct(Cut("bees make honey", "lava flows", "bees make honey", "bees  make\nhoney", "ash clouds"));

        Assert.Equal([(0, "bees make honey"), (1, "lava flows"), (2, "ash clouds")], distinct.Kept.Select(c => (c.Index, c.Text)));
        Assert.Equal(2, distinct.Repeated);
        Assert.Equal(0, distinct.Empty);
    }

    [Fact]
    public void Distinct_IsCaseSensitive_DifferentTextIsKept()
    {
        Assert.Equal(2, Passages.Distinct(Cut("Bees", "bees")).Kept.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n")]
    [InlineData("---- **** ----")]
    [InlineData("| --- | --- |")]
    public void Distinct_DropsPassagesWithNoLetterOrDigit(string text)
    {
        var distinct = Passages.Distinct(Cut("bees", text));

        Assert.Equal(["bees"], distinct.Kept.Select(c => c.Text));
        Assert.Equal(1, distinct.Empty);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("東京")]
    [InlineData("— ß —")]
    public void Distinct_KeepsDigitsAndLettersOfAnyScript(string text)
    {
        Assert.Single(Passages.Distinct(Cut(text)).Kept);
    }

    [Fact]
    public void Distinct_OneWordMegabyte_IsOnePassagePerDistinctWindow()
    {
        var chunks = new TextChunker(200, 40).Split(string.Concat(Enumerable.Repeat("spam ", 200_000)));

        var distinct = Passages.Distinct(chunks);

        Assert.Equal(1250, chunks.Count);
        // 200 words in every window but the last, which has 160.
        Assert.Equal(2, distinct.Kept.Count);
    }

    [Fact]
    public void DistinctVectors_DropsNearDuplicates_KeepsTheFirst()
    {
        var spam = string.Concat(Enumerable.Repeat("spam ", 199));
        ReadOnlyMemory<float>[] vectors =
        [
            Embedder.Embed(spam + "alpha"),
            Embedder.Embed("bees make honey in the hive"),
            Embedder.Embed(spam + "beta"),
            Embedder.Embed(spam + "gamma"),
            Embedder.Embed("lava flows from the volcano"),
        ];

        var distinct = Passages.DistinctVectors(vectors, IndexOptions.NearDuplicateCosine);

        Assert.Equal([0, 1, 4], distinct.Kept);
        Assert.Equal(2, distinct.NearDuplicates);
    }

    [Fact]
    public void DistinctVectors_KeepsRelatedButDifferentPassages()
    {
        ReadOnlyMemory<float>[] vectors =
        [
            Embedder.Embed("Honeybees live in a hive ruled by a queen; workers gather pollen and nectar."),
            Embedder.Embed("Honeybees live in a hive ruled by a queen; drones do not gather pollen."),
        ];

        Assert.Equal([0, 1], Passages.DistinctVectors(vectors, IndexOptions.NearDuplicateCosine).Kept);
    }

    [Fact]
    public void DistinctVectors_DropsVectorsWithoutDirection()
    {
        ReadOnlyMemory<float>[] vectors = [new float[8], Enumerable.Repeat(1e-9f, 8).ToArray(), new[] { 1f, 0, 0, 0, 0, 0, 0, float.NaN }, new[] { 0f, 1, 0, 0, 0, 0, 0, 0 }];

        var distinct = Passages.DistinctVectors(vectors, IndexOptions.NearDuplicateCosine);

        Assert.Equal([3], distinct.Kept);
        Assert.Equal(3, distinct.Degenerate);
    }

    [Fact]
    public void DistinctVectors_ScaleDoesNotHideADuplicate()
    {
        ReadOnlyMemory<float>[] vectors = [new[] { 3f, 4, 0 }, new[] { 0.6f, 0.8f, 0 }];

        Assert.Equal([0], Passages.DistinctVectors(vectors, IndexOptions.NearDuplicateCosine).Kept);
    }
}
