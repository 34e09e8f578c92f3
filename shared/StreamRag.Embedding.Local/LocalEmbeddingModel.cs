using System.Buffers;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace StreamRag.Embedding.Local;

/// <summary>
/// One loaded local model: its ONNX Runtime session and its tokenizer. Expensive to load (tens of
/// megabytes of weights), so a process holds one per model (<see cref="LocalEmbeddingModels"/>).
/// <para>
/// A call's inputs are tokenised, sorted by length and cut into runs of at most
/// <see cref="LocalEmbeddingOptions.MaxBatchTokens"/> tokens, each run padded only to its own
/// longest input; the vectors come back in input order, pooled as the model says and L2-normalised.
/// One run executes at a time (it already uses every intra-op thread); callers wait their turn.
/// </para>
/// </summary>
public sealed partial class LocalEmbeddingModel : IDisposable
{
    private const string HiddenStateOutput = "last_hidden_state";

    private readonly InferenceSession session;
    private readonly SessionOptions sessionOptions;
    private readonly SemaphoreSlim turn = new(1, 1);
    private readonly int maxBatchTokens;

    public LocalEmbeddingModel(LocalModelSpec spec, LocalEmbeddingOptions options)
        : this(spec, options, ReadModel(spec, options))
    {
    }

    private LocalEmbeddingModel(LocalModelSpec spec, LocalEmbeddingOptions options, (byte[] Model, string? CachePath, Int8ModelCache.Outcome? Outcome) file)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        Spec = spec;
        maxBatchTokens = options.MaxBatchTokens;
        IntraOpThreads = options.IntraOpThreads > 0 ? options.IntraOpThreads : Environment.ProcessorCount;
        ExecutionProvider = options.ExecutionProvider;
        Precision = options.Precision;
        CachePath = file.CachePath;
        CacheOutcome = file.Outcome;
        Tokenizer = WordPieceTokenizer.Create(spec);
        sessionOptions = CreateSessionOptions(spec, options, IntraOpThreads);
        try
        {
            session = new InferenceSession(file.Model, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            sessionOptions.Dispose();
            throw new InvalidOperationException($"ONNX Runtime could not load the local model {spec.Name} ({options.ExecutionProvider}, {Precision}): {ex.Message}", ex);
        }

        if (!session.OutputMetadata.TryGetValue(HiddenStateOutput, out var hidden) || hidden.Dimensions[^1] != spec.Dimensions)
        {
            Dispose();
            throw new InvalidOperationException($"the local model {spec.Name} has no {HiddenStateOutput} output of dimension {spec.Dimensions}");
        }
    }

    public LocalModelSpec Spec { get; }

    /// <summary>The model's own WordPiece tokenizer (thread-safe).</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>Intra-op threads the session runs with.</summary>
    public int IntraOpThreads { get; }

    public string ExecutionProvider { get; }

    /// <summary><see cref="LocalEmbeddingOptions.Float32Precision"/> or <see cref="LocalEmbeddingOptions.Int8Precision"/>.</summary>
    public string Precision { get; }

    /// <summary>The int8 model's cache file; null for float32.</summary>
    public string? CachePath { get; }

    /// <summary>Whether the int8 model was read from its cache file or made; null for float32.</summary>
    public Int8ModelCache.Outcome? CacheOutcome { get; }

    /// <summary>Tokens of <paramref name="text"/> as the model sees it, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public int CountTokens(string text) => Tokenizer.EncodeToIds(text, addSpecialTokens: true, considerPreTokenization: true, considerNormalization: true).Count;

    /// <summary>
    /// The unit vectors of <paramref name="texts"/>, in order. The texts are taken as they are (a
    /// query prefix, if any, is already in them).
    /// </summary>
    /// <param name="queries">Only for the message of <see cref="EmbeddingInputTooLongException"/>.</param>
    /// <exception cref="EmbeddingInputTooLongException">A text has more tokens than the window; nothing is embedded.</exception>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, bool queries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokens = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            tokens[i] = [.. Tokenizer.EncodeToIds(texts[i], addSpecialTokens: true, considerPreTokenization: true, considerNormalization: true)];
            if (tokens[i].Length > Spec.MaxTokens)
            {
                var what = queries && Spec.QueryPrefix.Length > 0 ? "query (with its prefix)" : queries ? "query" : "input";
                throw new EmbeddingInputTooLongException(
                    $"{what} {i} is {tokens[i].Length} tokens; {Spec.Name} takes at most {Spec.MaxTokens} and nothing is truncated",
                    i, tokens[i].Length, Spec.MaxTokens);
            }
        }

        var vectors = new float[texts.Count][];
        if (texts.Count == 0)
        {
            return vectors;
        }

        // Shortest first, so each run holds inputs of about the same length and little padding.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => tokens[i].Length).ToArray();
        await turn.WaitAsync(cancellationToken);
        try
        {
            for (var start = 0; start < order.Length;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var end = start + 1;
                while (end < order.Length && (end - start + 1) * tokens[order[end]].Length <= maxBatchTokens)
                {
                    end++;
                }

                Run(order.AsSpan(start, end - start), tokens, vectors, cancellationToken);
                start = end;
            }
        }
        finally
        {
            turn.Release();
        }

        return vectors;
    }

    /// <summary>One inference over the inputs <paramref name="rows"/> (sorted by length), padded to the last one's length.</summary>
    private void Run(ReadOnlySpan<int> rows, int[][] tokens, float[][] vectors, CancellationToken cancellationToken)
    {
        var batch = rows.Length;
        var length = tokens[rows[^1]].Length;
        var size = batch * length;
        var ids = ArrayPool<long>.Shared.Rent(size);
        var mask = ArrayPool<long>.Shared.Rent(size);
        var types = ArrayPool<long>.Shared.Rent(size);
        try
        {
            Array.Clear(ids, 0, size);
            Array.Clear(mask, 0, size);
            Array.Clear(types, 0, size);
            for (var r = 0; r < batch; r++)
            {
                var row = tokens[rows[r]];
                for (var j = 0; j < row.Length; j++)
                {
                    ids[(r * length) + j] = row[j];
                    mask[(r * length) + j] = 1;
                }
            }

            long[] shape = [batch, length];
            var inputs = new List<OrtValue>(session.InputNames.Count);
            try
            {
                foreach (var name in session.InputNames)
                {
                    var data = name switch
                    {
                        "input_ids" => ids,
                        "attention_mask" => mask,
                        "token_type_ids" => types,
                        _ => throw new InvalidOperationException($"the local model {Spec.Name} asks for an unknown input {name}"),
                    };
                    inputs.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, size), shape));
                }

                using var run = new RunOptions();
                using var cancel = cancellationToken.Register(() => run.Terminate = true);
                IDisposableReadOnlyCollection<OrtValue> outputs;
                try
                {
                    outputs = session.Run(run, session.InputNames, inputs, [HiddenStateOutput]);
                }
                catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }

                using (outputs)
                {
                    Pool(outputs[0].GetTensorDataAsSpan<float>(), rows, tokens, length, vectors);
                }
            }
            finally
            {
                foreach (var input in inputs)
                {
                    input.Dispose();
                }
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(types);
        }
    }

    /// <summary>From the hidden states [batch, length, dimensions] to one unit vector per row.</summary>
    private void Pool(ReadOnlySpan<float> hidden, ReadOnlySpan<int> rows, int[][] tokens, int length, float[][] vectors)
    {
        var dimensions = Spec.Dimensions;
        for (var r = 0; r < rows.Length; r++)
        {
            var vector = new float[dimensions];
            var states = hidden.Slice(r * length * dimensions, length * dimensions);
            if (Spec.Pooling == PoolingMode.Cls)
            {
                states[..dimensions].CopyTo(vector);
            }
            else
            {
                // Mean over the real tokens only: the padding after them (attention mask 0) is left out.
                var real = tokens[rows[r]].Length;
                for (var j = 0; j < real; j++)
                {
                    TensorPrimitives.Add(vector, states.Slice(j * dimensions, dimensions), vector);
                }

                TensorPrimitives.Divide(vector, real, vector);
            }

            var norm = TensorPrimitives.Norm(vector);
            if (norm > 0)
            {
                TensorPrimitives.Divide(vector, norm, vector);
            }

            vectors[rows[r]] = vector;
        }
    }

    public void Dispose()
    {
        session?.Dispose();
        sessionOptions.Dispose();
        turn.Dispose();
    }
}
