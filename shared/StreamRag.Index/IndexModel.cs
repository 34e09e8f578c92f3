using System.Globalization;

namespace StreamRag.Index;

/// <summary>
/// The embedding model of an index's vectors: the generator's model id and provider, the dimension,
/// and the precision of the weights that made them (<c>float32</c>, or <c>int8</c> for a local model
/// quantized to 8 bits: its vectors differ slightly from float32's, so the two are not mixed).
/// </summary>
public sealed record IndexModel(string Id, string Provider, int Dimensions, string Precision = IndexModel.DefaultPrecision)
{
    /// <summary>The precision of every provider's vectors except a quantized local model's.</summary>
    public const string DefaultPrecision = "float32";

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Id} (provider {(Provider.Length == 0 ? "unknown" : Provider)}, {Dimensions} dimensions, {Precision})");

    /// <summary>Vectors of the two are interchangeable: same model id, dimension and precision (the provider that serves it may differ).</summary>
    public bool SameVectorsAs(IndexModel other) =>
        other is not null && string.Equals(Id, other.Id, StringComparison.Ordinal) && Dimensions == other.Dimensions
        && string.Equals(Precision, other.Precision, StringComparison.Ordinal);
}
