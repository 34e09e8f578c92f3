using StreamRag.Embedding;
using StreamRag.Embedding.Local;

namespace StreamRag.UnitTests;

/// <summary>The local models, loaded once for every test of this process (a load costs a second or more).</summary>
internal static class SharedLocalModels
{
    public static LocalEmbeddingModels Models { get; } = new();

    public static readonly LocalEmbeddingOptions Options = new() { IntraOpThreads = 2 };

    /// <summary>The int8 variant, kept in a cache of the test machine's own (made by the first run, reused after).</summary>
    public static readonly LocalEmbeddingOptions Int8Options = new()
    {
        IntraOpThreads = 2,
        Precision = LocalEmbeddingOptions.Int8Precision,
        CacheDirectory = Path.Combine(Path.GetTempPath(), "streamrag-tests-model-cache"),
    };

    public static LocalEmbeddingGenerator Arctic => new(Models.Get(LocalModelSpec.ArcticEmbedXs, Options));

    public static LocalEmbeddingGenerator MiniLm => new(Models.Get(LocalModelSpec.MiniLmL6V2, Options));
}
