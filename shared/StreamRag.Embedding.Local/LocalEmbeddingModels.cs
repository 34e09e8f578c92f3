using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.Tokenizers;

namespace StreamRag.Embedding.Local;

/// <summary>
/// The local models this process has loaded: each one once (its session is large and thread-safe),
/// on first use, which in a host is start-up (when the generator or the chunker is resolved).
/// Disposing it unloads them.
/// </summary>
public sealed partial class LocalEmbeddingModels(ILogger<LocalEmbeddingModels>? logger = null) : IDisposable
{
    private readonly ILogger logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly ConcurrentDictionary<string, Lazy<LocalEmbeddingModel>> models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<BertTokenizer>> tokenizers = new(StringComparer.Ordinal);

    /// <summary>The loaded model (loading it the first time), run with these options.</summary>
    public LocalEmbeddingModel Get(LocalModelSpec spec, LocalEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        var key = string.Join('|', spec.Name, options.ExecutionProvider, options.CudaDeviceId.ToString(CultureInfo.InvariantCulture),
            options.IntraOpThreads.ToString(CultureInfo.InvariantCulture), options.InterOpThreads.ToString(CultureInfo.InvariantCulture),
            options.MaxBatchTokens.ToString(CultureInfo.InvariantCulture), options.Precision, Int8ModelCache.DirectoryOf(options.CacheDirectory));
        return models.GetOrAdd(key, _ => new Lazy<LocalEmbeddingModel>(() => Load(spec, options))).Value;
    }

    /// <summary>The model's tokenizer alone (its vocabulary, without loading the model).</summary>
    public BertTokenizer Tokenizer(LocalModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return tokenizers.GetOrAdd(spec.Name, _ => new Lazy<BertTokenizer>(() => WordPieceTokenizer.Create(spec))).Value;
    }

    private LocalEmbeddingModel Load(LocalModelSpec spec, LocalEmbeddingOptions options)
    {
        var started = Stopwatch.GetTimestamp();
        var model = new LocalEmbeddingModel(spec, options);
        Log.Loaded(logger, spec.Name, model.Precision, model.ExecutionProvider, model.IntraOpThreads, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (model.CacheOutcome is { } outcome)
        {
            Log.Int8Model(logger, spec.Name, outcome switch
            {
                Int8ModelCache.Outcome.Reused => "read from",
                Int8ModelCache.Outcome.Built => "quantized into",
                _ => "quantized again (the file was not the model it should be) into",
            }, model.CachePath!);
        }

        return model;
    }

    public void Dispose()
    {
        foreach (var model in models.Values.Where(m => m.IsValueCreated))
        {
            model.Value.Dispose();
        }

        models.Clear();
    }

    private static partial class Log
    {
        [LoggerMessage(1200, LogLevel.Information, "Loaded the local embedding model {Model} ({Precision}, {ExecutionProvider}, {Threads} intra-op threads) in {Ms:0} ms")]
        public static partial void Loaded(ILogger logger, string model, string precision, string executionProvider, int threads, double ms);

        [LoggerMessage(1201, LogLevel.Information, "The int8 model of {Model} was {How} {Path}")]
        public static partial void Int8Model(ILogger logger, string model, string how, string path);
    }
}
