using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using StreamRag.Embedding;
using StreamRag.Embedding.Local;

namespace StreamRag.UnitTests;

/// <summary>
/// The int8 variant of the local models (issue 20): made from the packaged float32 model, it embeds
/// like it, is quantized once into a cache file that later loads reuse, and is made again when that
/// file is not the model it should be.
/// </summary>
public sealed class Int8ModelTests : IDisposable
{
    private readonly string cache = Path.Combine(Path.GetTempPath(), "streamrag-int8-tests-" + Guid.NewGuid().ToString("N")[..8]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The demo corpus (demo/corpus/*.md), one passage a paragraph.</summary>
    private static string[] DemoPassages() =>
        Directory.GetFiles(Path.Combine(ComposeStackTests.Root(), "demo", "corpus"), "*.md").Order(StringComparer.Ordinal)
            .SelectMany(f => File.ReadAllText(f).Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(p => p.Length > 20)
            .ToArray();

    /// <summary>
    /// Every demo passage's int8 vector points where its float32 vector does: cosine mean ≥ 0.99 and
    /// minimum ≥ 0.98 (measured: 0.998 and 0.997 for arctic-embed-xs), and so for queries.
    /// </summary>
    [Theory]
    [InlineData("snowflake-arctic-embed-xs")]
    [InlineData("all-MiniLM-L6-v2")]
    public async Task Int8_EmbedsTheDemoCorpusLikeFloat32(string name)
    {
        var spec = LocalModelSpec.Find(name)!;
        var float32 = new LocalEmbeddingGenerator(SharedLocalModels.Models.Get(spec, SharedLocalModels.Options));
        var int8 = new LocalEmbeddingGenerator(SharedLocalModels.Models.Get(spec, SharedLocalModels.Int8Options));
        var passages = DemoPassages();
        string[] questions = ["how do bees make honey", "when was the first lighthouse built", "what does a vector set store"];

        var cosines = new List<float>();
        foreach (var (texts, options) in new[] { (passages, (EmbeddingGenerationOptions?)null), (questions, EmbeddingInput.ForQuery()) })
        {
            var a = await float32.GenerateAsync(texts, options, Ct);
            var b = await int8.GenerateAsync(texts, options, Ct);
            cosines.AddRange(a.Zip(b, (x, y) => TensorPrimitives.CosineSimilarity(x.Vector.Span, y.Vector.Span)));
        }

        Assert.True(passages.Length >= 30, $"{passages.Length} demo passages");
        Assert.True(cosines.Average() >= 0.99f, $"mean cosine {cosines.Average():0.0000}");
        Assert.True(cosines.Min() >= 0.98f, $"least cosine {cosines.Min():0.0000}");
        Assert.Equal("int8", int8.GetService<EmbeddingPrecision>()?.Value);
        Assert.Equal("float32", float32.GetService<EmbeddingPrecision>()?.Value);
    }

    [Fact]
    public void Quantizer_IsAPureFunctionOfItsInput_AndShrinksTheMatMulWeights()
    {
        var source = LocalModelFiles.ReadModel(LocalModelSpec.MiniLmL6V2);

        var once = Int8Quantizer.Quantize(source, "test");
        var twice = Int8Quantizer.Quantize(source, "test");

        Assert.Equal(once, twice);
        // MiniLM's 6 layers hold 10.6 M MatMul weights: 4 bytes each become 1.
        Assert.InRange(source.Length - once.Length, 30_000_000, 33_000_000);
        // Each of the 6 attention blocks runs as one QAttention node (AttentionFusion), each GELU as FastGelu.
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(once))
        {
            Assert.Contains("6 attention blocks fused (QAttention), 6 GELU as FastGelu", session.ModelMetadata.CustomMetadataMap[Int8Quantizer.MetadataKey], StringComparison.Ordinal);
        }

        Assert.Throws<InvalidDataException>(() => Int8Quantizer.Quantize([1, 2, 3, 4], "test"));
    }

    [Fact]
    public void CacheFile_IsMadeOnce_ReusedOnTheNextLoad_AndMadeAgainWhenCorrupt()
    {
        var spec = LocalModelSpec.MiniLmL6V2;
        var source = LocalModelFiles.ReadModel(spec);

        var first = Int8ModelCache.Load(spec, source, cache);
        var written = File.GetLastWriteTimeUtc(first.Path);
        var second = Int8ModelCache.Load(spec, source, cache);

        Assert.Equal(Int8ModelCache.Outcome.Built, first.Outcome);
        Assert.Equal(Int8ModelCache.Outcome.Reused, second.Outcome);
        Assert.Equal(first.Model, second.Model);
        Assert.Equal(written, File.GetLastWriteTimeUtc(first.Path));
        Assert.Equal(Int8ModelCache.PathOf(spec, source, cache), first.Path);
        Assert.Single(Directory.GetFiles(cache));

        // Cut short, as by a full disk or a copy that stopped.
        File.WriteAllBytes(first.Path, first.Model.AsSpan(0, first.Model.Length / 2).ToArray());
        var truncated = Int8ModelCache.Load(spec, source, cache);
        Assert.Equal(Int8ModelCache.Outcome.Rebuilt, truncated.Outcome);
        Assert.Equal(first.Model, File.ReadAllBytes(first.Path));

        // One weight byte changed: the file still parses, but its graph is not the one it records.
        var flipped = first.Model.ToArray();
        flipped[flipped.Length / 2] ^= 0x5a;
        File.WriteAllBytes(first.Path, flipped);
        Assert.Equal(Int8ModelCache.Outcome.Rebuilt, Int8ModelCache.Load(spec, source, cache).Outcome);

        File.WriteAllText(first.Path, "not a model");
        Assert.Equal(Int8ModelCache.Outcome.Rebuilt, Int8ModelCache.Load(spec, source, cache).Outcome);
        Assert.Equal(Int8ModelCache.Outcome.Reused, Int8ModelCache.Load(spec, source, cache).Outcome);
        Assert.Single(Directory.GetFiles(cache));
    }

    [Fact]
    public async Task LocalModel_AtInt8_LoadsFromTheCacheDirectory_TheSecondTimeWithoutQuantizing()
    {
        var options = new LocalEmbeddingOptions { IntraOpThreads = 1, Precision = "int8", CacheDirectory = cache };

        using (var first = new LocalEmbeddingModel(LocalModelSpec.MiniLmL6V2, options))
        {
            Assert.Equal(Int8ModelCache.Outcome.Built, first.CacheOutcome);
            Assert.StartsWith(cache, first.CachePath, StringComparison.Ordinal);
        }

        using var second = new LocalEmbeddingModel(LocalModelSpec.MiniLmL6V2, options);
        Assert.Equal(Int8ModelCache.Outcome.Reused, second.CacheOutcome);
        Assert.Equal("int8", second.Precision);
        var vector = (await second.EmbedAsync(["bees make honey in the hive"], queries: false, Ct))[0];
        Assert.Equal(1.0, TensorPrimitives.Norm(vector), 1e-5);
    }

    [Fact]
    public void CacheDirectory_DefaultsToTheUsersCache()
    {
        Assert.Equal("/somewhere", Int8ModelCache.DirectoryOf("/somewhere"));
        Assert.EndsWith("streamrag", Int8ModelCache.DirectoryOf(null), StringComparison.Ordinal);
        Assert.Equal(Int8ModelCache.DefaultDirectory, Int8ModelCache.DirectoryOf(" "));
    }

    public void Dispose()
    {
        if (Directory.Exists(cache))
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
