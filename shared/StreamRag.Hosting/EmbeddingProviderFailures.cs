using StreamRag.Embedding;
using StreamRag.Redis;

namespace StreamRag.Hosting;

/// <summary>
/// Tells the consumer runner which embedding-provider failures hold a batch instead of counting
/// against its entries: the provider unavailable (after its own retries, or its circuit open), and
/// the provider misconfigured (key, model or URL: no entry can succeed until an operator fixes it,
/// and dead-lettering would throw away every event meanwhile). Refused inputs and unusable vectors
/// are the entries' own fault; the embedder dead-letters those itself.
/// </summary>
internal sealed class EmbeddingProviderFailures : ITransientFailureClassifier
{
    public bool IsTransient(Exception exception, out TimeSpan? retryAfter)
    {
        switch (exception)
        {
            case EmbeddingProviderUnavailableException unavailable:
                retryAfter = unavailable.RetryAfter;
                return true;
            case EmbeddingProviderMisconfiguredException:
                retryAfter = null;
                return true;
            default:
                retryAfter = null;
                return false;
        }
    }
}
