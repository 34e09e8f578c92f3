using Microsoft.Extensions.AI;
using Polly;
using Polly.CircuitBreaker;

namespace StreamRag.Embedding;

/// <summary>
/// Runs every call of a remote embedding generator through the provider pipeline (timeout, retry,
/// circuit breaker), turns what is left of a failure into the exception types of
/// <see cref="EmbeddingProviderException"/>, and refuses answers that must never reach the index:
/// not one vector per input, a vector of the wrong dimension, or a vector that is not finite.
/// </summary>
public sealed class ResilientEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ResiliencePipeline pipeline;
    private readonly TimeProvider time;
    private readonly int dimensions;
    private readonly string describe;

    /// <param name="dimensions">The length every vector must have (the index's dimension).</param>
    /// <param name="describe">Provider and model, for error messages (e.g. <c>openai text-embedding-3-small</c>).</param>
    public ResilientEmbeddingGenerator(
        IEmbeddingGenerator<string, Embedding<float>> innerGenerator,
        ResiliencePipeline pipeline,
        TimeProvider time,
        int dimensions,
        string describe)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(time);
        this.pipeline = pipeline;
        this.time = time;
        this.dimensions = dimensions;
        this.describe = describe;
    }

    /// <exception cref="EmbeddingProviderUnavailableException">Transient failure after every retry, or the circuit is open.</exception>
    /// <exception cref="EmbeddingProviderMisconfiguredException">401, 403 or 404: key, model or base URL is wrong.</exception>
    /// <exception cref="EmbeddingRequestRejectedException">Another 4xx: these inputs are refused.</exception>
    /// <exception cref="EmbeddingResponseInvalidException">Wrong vector count, dimension, or a non-finite value.</exception>
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values as IReadOnlyList<string> ?? values.ToArray();
        if (inputs.Count == 0)
        {
            // The API refuses an empty input list; there is nothing to ask for.
            return [];
        }

        if (options?.AdditionalProperties?.ContainsKey(EmbeddingInput.KindKey) == true)
        {
            // The input-kind marker is for in-process models; a remote API has no use for it.
            options = options.Clone();
            options.AdditionalProperties!.Remove(EmbeddingInput.KindKey);
        }

        GeneratedEmbeddings<Embedding<float>> result;
        try
        {
            result = await pipeline.ExecuteAsync(
                async token => await base.GenerateAsync(inputs, options, token),
                cancellationToken);
        }
        catch (BrokenCircuitException ex)
        {
            throw new EmbeddingProviderUnavailableException(
                $"{describe}: the circuit is open after repeated failures; the call was not sent", ex, ex.RetryAfter, circuitOpen: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (Translate(ex) is { } translated)
            {
                throw translated;
            }

            throw;
        }

        Check(result, inputs.Count);
        return result;
    }

    /// <summary>The exception to throw instead, or null to let an unexpected one through as it is.</summary>
    private EmbeddingProviderException? Translate(Exception ex)
    {
        var status = ProviderResilience.StatusOf(ex) ?? 0;
        return ProviderResilience.Classify(ex) switch
        {
            ProviderFault.Rejected => new EmbeddingRequestRejectedException(
                $"{describe} refused the request ({ProviderResilience.Describe(ex)})", status, ex),
            ProviderFault.Misconfigured => new EmbeddingProviderMisconfiguredException(
                $"{describe} refused the caller ({ProviderResilience.Describe(ex)}): check Embedding:ApiKey, Embedding:Model and Embedding:BaseUrl", status, ex),
            ProviderFault.Transient => new EmbeddingProviderUnavailableException(
                $"{describe} is unavailable ({ProviderResilience.Describe(ex)})", ex, ProviderResilience.RetryAfterOf(ex, time), circuitOpen: false),

            // The SDK's own cancellation without the caller's: a dropped or aborted connection.
            _ when ex is OperationCanceledException => new EmbeddingProviderUnavailableException(
                $"{describe} is unavailable (the request was aborted)", ex, null, circuitOpen: false),
            _ => null,
        };
    }

    private void Check(GeneratedEmbeddings<Embedding<float>> result, int expected)
    {
        if (result.Count != expected)
        {
            throw new EmbeddingResponseInvalidException(
                $"{describe} returned {result.Count} vectors for {expected} inputs", EmbeddingResponseProblem.VectorCount, expected, result.Count);
        }

        for (var i = 0; i < result.Count; i++)
        {
            var vector = result[i].Vector.Span;
            if (vector.Length != dimensions)
            {
                throw new EmbeddingResponseInvalidException(
                    $"{describe} returned a vector of dimension {vector.Length}; the index takes {dimensions} (set Embedding:Dimensions and Index:Dimensions to the model's dimension, or a model that supports shortening with Embedding:RequestDimensions)",
                    EmbeddingResponseProblem.Dimension, dimensions, vector.Length);
            }

            foreach (var x in vector)
            {
                if (!float.IsFinite(x))
                {
                    throw new EmbeddingResponseInvalidException(
                        $"{describe} returned a vector with a non-finite value for input {i}", EmbeddingResponseProblem.NotFinite, 0, i);
                }
            }
        }
    }
}
