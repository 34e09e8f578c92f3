using Microsoft.Extensions.AI;

namespace StreamRag.Embedding;

/// <summary>
/// A provider whose code lives outside this assembly and runs in the host's process: the
/// <c>local</c> ONNX models (StreamRag.Embedding.Local), registered only by the hosts that embed,
/// so that hosts which never embed (sweeper, monitor, tools) carry neither ONNX Runtime nor the models.
/// </summary>
public interface IInProcessEmbeddingProvider
{
    /// <summary>The <c>Embedding:Provider</c> value it serves, e.g. <c>local</c>.</summary>
    string Provider { get; }

    IEmbeddingGenerator<string, Embedding<float>> CreateGenerator(EmbeddingOptions options);

    IChunker CreateChunker(EmbeddingOptions embedding, ChunkingOptions chunking);
}
