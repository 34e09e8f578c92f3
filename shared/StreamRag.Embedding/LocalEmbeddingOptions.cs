using System.ComponentModel.DataAnnotations;

namespace StreamRag.Embedding;

/// <summary>How the <c>local</c> provider runs its model (configuration section <c>Embedding:Local</c>).</summary>
public sealed class LocalEmbeddingOptions
{
    public const string CpuExecutionProvider = "cpu";
    public const string CudaExecutionProvider = "cuda";
    public const string Float32Precision = "float32";
    public const string Int8Precision = "int8";

    /// <summary>
    /// Threads one inference uses (ONNX Runtime intra-op threads). 0 means one per core. Several
    /// embedder processes on one machine should share the cores between them (e.g. 1 each on 2 cores).
    /// </summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    /// <summary>Threads running independent graph nodes side by side (inter-op); 1 suits these sequential models.</summary>
    [Range(1, 64)]
    public int InterOpThreads { get; set; } = 1;

    /// <summary>
    /// Most tokens in one inference run, padding included (inputs × the longest input's tokens).
    /// Inputs are sorted by length and cut into runs of this size, so short passages are not padded
    /// to the length of long ones. Small runs are fastest on CPUs with small caches: on the 2-core
    /// development machine the cost per passage grew by 9 % from 1 to 8 passages of 128 tokens in
    /// one run, and by 30 % at 32 (the activations outgrow the cache). Raise it where caches are
    /// large or on a GPU.
    /// </summary>
    [Range(512, 1_048_576)]
    public int MaxBatchTokens { get; set; } = 512;

    /// <summary><c>cpu</c>, or <c>cuda</c> (needs an NVIDIA GPU and a GPU build of ONNX Runtime; see docs/providers.md).</summary>
    [Required]
    [RegularExpression("^(cpu|cuda)$")]
    public string ExecutionProvider { get; set; } = CpuExecutionProvider;

    /// <summary>GPU to run on with <c>cuda</c>.</summary>
    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// The weights the model runs with: <c>float32</c>, as the package ships them, or <c>int8</c>, the
    /// same model with its MatMul weights quantized to 8 bits and run by ONNX Runtime's integer kernels
    /// (made from the float32 model on first load and kept in <see cref="CacheDirectory"/>). The two
    /// give slightly different vectors, so the index records the precision with the model and a host
    /// with the other one refuses to start.
    /// </summary>
    [Required]
    [RegularExpression("^(float32|int8)$")]
    public string Precision { get; set; } = Float32Precision;

    /// <summary>
    /// Where derived models (the int8 variant) are kept between starts. Empty means
    /// <c>$XDG_CACHE_HOME/streamrag</c>, else <c>~/.cache/streamrag</c>, else the temporary directory.
    /// </summary>
    public string? CacheDirectory { get; set; }
}
