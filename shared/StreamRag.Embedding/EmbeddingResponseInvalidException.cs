namespace StreamRag.Embedding;

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
