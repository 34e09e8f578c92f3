namespace StreamRag.Embedding;

/// <summary>
/// A call to the embedding provider failed in a way the caller must tell apart. What to do with
/// the stream entries whose texts were in the call depends on the subtype:
/// <list type="bullet">
/// <item><see cref="EmbeddingProviderUnavailableException"/>: transient. Leave the entries pending, back off, try again.</item>
/// <item><see cref="EmbeddingProviderMisconfiguredException"/>: no call can succeed until an operator fixes the settings. Leave the entries pending (dead-lettering them would lose every event until the fix); alert.</item>
/// <item><see cref="EmbeddingRequestRejectedException"/>: the provider refused these inputs and will refuse them again. Dead-letter the entries of this call (or split the call to find the one at fault).</item>
/// <item><see cref="EmbeddingResponseInvalidException"/>: the provider answered with vectors that cannot be stored (wrong count, wrong dimension, not finite). Dead-letter: writing them would corrupt the index.</item>
/// </list>
/// Cancellation by the caller's token is never wrapped: it surfaces as <see cref="OperationCanceledException"/>.
/// </summary>
public abstract class EmbeddingProviderException : Exception
{
    protected EmbeddingProviderException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Transient: the provider could not be reached or kept failing (429, 408, 5xx, network error,
/// attempt timeout, unreadable reply) after every retry, or the circuit breaker is open and the
/// call was not even tried. Nothing about the inputs is wrong: keep the entries pending, none acked,
/// none dead-lettered; work resumes by itself when the provider is back.
/// </summary>
public sealed class EmbeddingProviderUnavailableException : EmbeddingProviderException
{
    public EmbeddingProviderUnavailableException(string message, Exception? innerException, TimeSpan? retryAfter, bool circuitOpen)
        : base(message, innerException)
    {
        RetryAfter = retryAfter;
        CircuitOpen = circuitOpen;
    }

    /// <summary>How long to wait before the next try, when known (the provider's <c>Retry-After</c>, or the rest of the circuit's break).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>True when the circuit breaker refused the call without sending it.</summary>
    public bool CircuitOpen { get; }
}

/// <summary>
/// The provider refused the request itself with a 4xx status other than 401, 403, 404, 408 and 429
/// (e.g. 400 input too long or empty, 413, 422): the same inputs will be refused again, so it is not
/// retried. Dead-letter the entries whose texts were in the call.
/// </summary>
public sealed class EmbeddingRequestRejectedException : EmbeddingProviderException
{
    public EmbeddingRequestRejectedException(string message, int statusCode, Exception? innerException)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>HTTP status the provider answered with.</summary>
    public int StatusCode { get; }
}

/// <summary>
/// The provider refused the caller, not the inputs: 401/403 (API key) or 404 (unknown model, wrong
/// base URL). Not retried inside the call; no input can succeed until the settings are fixed, so the
/// entries must stay pending rather than be dead-lettered.
/// </summary>
public sealed class EmbeddingProviderMisconfiguredException : EmbeddingProviderException
{
    public EmbeddingProviderMisconfiguredException(string message, int statusCode, Exception? innerException)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>HTTP status the provider answered with.</summary>
    public int StatusCode { get; }
}

/// <summary>What was wrong with a provider's answer.</summary>
public enum EmbeddingResponseProblem
{
    /// <summary>Not one vector per input.</summary>
    VectorCount,

    /// <summary>A vector's length is not <see cref="EmbeddingOptions.Dimensions"/> (the index's dimension).</summary>
    Dimension,

    /// <summary>A vector holds NaN or infinity.</summary>
    NotFinite,
}

/// <summary>
/// The provider answered, but with vectors that must never be written: not one per input, of the
/// wrong dimension (a model that does not match the index), or not finite. Not retried. Dead-letter
/// the entries of the call with this message; the index would refuse such vectors anyway.
/// </summary>
public sealed class EmbeddingResponseInvalidException : EmbeddingProviderException
{
    public EmbeddingResponseInvalidException(string message, EmbeddingResponseProblem problem, int expected, int actual)
        : base(message, null)
    {
        Problem = problem;
        Expected = expected;
        Actual = actual;
    }

    public EmbeddingResponseProblem Problem { get; }

    /// <summary>Vectors or dimensions expected (0 for <see cref="EmbeddingResponseProblem.NotFinite"/>).</summary>
    public int Expected { get; }

    /// <summary>Vectors or dimensions received (for <see cref="EmbeddingResponseProblem.NotFinite"/>, the index of the input).</summary>
    public int Actual { get; }
}

/// <summary>
/// An input has more tokens than the model's window. It is refused, never truncated: a truncated
/// passage would be indexed as if it were whole. Not retried. The chunker cuts every document passage
/// to fit, so for the embedder this means a bug or a chunking change; the query worker answers such a
/// query with <c>too_large</c>.
/// </summary>
public sealed class EmbeddingInputTooLongException : EmbeddingProviderException
{
    public EmbeddingInputTooLongException(string message, int inputIndex, int tokens, int maxTokens)
        : base(message, null)
    {
        InputIndex = inputIndex;
        Tokens = tokens;
        MaxTokens = maxTokens;
    }

    /// <summary>Position of the first over-long input in the call.</summary>
    public int InputIndex { get; }

    /// <summary>Its tokens, special tokens (and a query prefix) included.</summary>
    public int Tokens { get; }

    /// <summary>The model's window.</summary>
    public int MaxTokens { get; }
}
