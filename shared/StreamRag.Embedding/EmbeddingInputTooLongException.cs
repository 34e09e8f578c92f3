namespace StreamRag.Embedding;

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
