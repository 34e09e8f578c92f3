namespace StreamRag.Embedding;

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
