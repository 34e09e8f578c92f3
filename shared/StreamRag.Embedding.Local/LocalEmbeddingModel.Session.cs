using Microsoft.ML.OnnxRuntime;

namespace StreamRag.Embedding.Local;

/// <summary>Loading the model: its bytes (float32 as packaged, or int8 from the cache), and the ONNX Runtime session options.</summary>
public sealed partial class LocalEmbeddingModel
{
    /// <summary>The float32 model as packaged, or its int8 variant from the cache (made there the first time).</summary>
    private static (byte[] Model, string? CachePath, Int8ModelCache.Outcome? Outcome) ReadModel(LocalModelSpec spec, LocalEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        var float32 = LocalModelFiles.ReadModel(spec);
        if (options.Precision != LocalEmbeddingOptions.Int8Precision)
        {
            return (float32, null, null);
        }

        var (model, path, outcome) = Int8ModelCache.Load(spec, float32, Int8ModelCache.DirectoryOf(options.CacheDirectory));
        return (model, path, outcome);
    }

    private static SessionOptions CreateSessionOptions(LocalModelSpec spec, LocalEmbeddingOptions options, int intraOpThreads)
    {
        var session = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
        };

        // Idle intra-op threads would otherwise spin between runs, taking the cores that Redis and
        // the other workers on the machine need.
        session.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (options.ExecutionProvider == LocalEmbeddingOptions.CudaExecutionProvider)
        {
            try
            {
                AddCuda(session, spec, options.CudaDeviceId);
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }

        return session;
    }

    private static void AddCuda(SessionOptions session, LocalModelSpec spec, int deviceId)
    {
        var available = OrtEnv.Instance().GetAvailableProviders();
        if (!available.Contains("CUDAExecutionProvider"))
        {
            throw new InvalidOperationException(
                $"Embedding:Local:ExecutionProvider is cuda, but this build of ONNX Runtime has no CUDA execution provider (it has {string.Join(", ", available)}). "
                + "Build with -p:OnnxRuntimeGpu=true on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9 (docs/providers.md), or set Embedding:Local:ExecutionProvider=cpu.");
        }

        try
        {
            session.AppendExecutionProvider_CUDA(deviceId);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidOperationException(
                $"Embedding:Local:ExecutionProvider is cuda, but ONNX Runtime could not start CUDA on GPU {deviceId} for {spec.Name}: {ex.Message}. "
                + "Check that an NVIDIA GPU, its driver, CUDA 12 and cuDNN 9 are present, or set Embedding:Local:ExecutionProvider=cpu.", ex);
        }
    }
}
