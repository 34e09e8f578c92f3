namespace StreamRag.Embedding;

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
