namespace StreamRag.Embedding;

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
