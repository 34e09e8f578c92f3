namespace StreamRag.Embedding;

/// <summary>
/// The precision of the weights behind a generator's vectors (<c>float32</c> or <c>int8</c>), which
/// the index manifest records with the model. A generator that can run at more than one precision
/// returns it from <c>GetService(typeof(EmbeddingPrecision))</c>; one that does not is float32.
/// </summary>
public sealed record EmbeddingPrecision(string Value)
{
    /// <summary>float32: the precision of a generator that does not say.</summary>
    public static EmbeddingPrecision Default { get; } = new(LocalEmbeddingOptions.Float32Precision);
}
