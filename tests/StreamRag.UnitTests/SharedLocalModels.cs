using StreamRag.Embedding;
using StreamRag.Embedding.Local;

namespace StreamRag.UnitTests;

/// <summary>The local models, loaded once for every test of this process (a load costs a second or more).</summary>
internal static class SharedLocalModels
{
    public static LocalEmbeddingModels Models { get; } = new();

    public static readonly LocalEmbeddingOptions Options = new() { IntraOpThreads = 2 };

    public static LocalEmbeddingGenerator Arctic => new(Models.Get(LocalModelSpec.ArcticEmbedXs, Options));

    public static LocalEmbeddingGenerator MiniLm => new(Models.Get(LocalModelSpec.MiniLmL6V2, Options));
}
