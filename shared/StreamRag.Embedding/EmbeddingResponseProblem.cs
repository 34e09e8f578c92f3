namespace StreamRag.Embedding;

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
