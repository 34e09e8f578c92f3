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
