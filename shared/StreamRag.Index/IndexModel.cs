using System.Globalization;

namespace StreamRag.Index;

/// <summary>The embedding model of an index's vectors: the generator's model id and provider, and the dimension.</summary>
public sealed record IndexModel(string Id, string Provider, int Dimensions)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id} (provider {(Provider.Length == 0 ? "unknown" : Provider)}, {Dimensions} dimensions)");

    /// <summary>Vectors of the two are interchangeable: same model id and dimension (the provider that serves it may differ).</summary>
    public bool SameVectorsAs(IndexModel other) =>
        other is not null && string.Equals(Id, other.Id, StringComparison.Ordinal) && Dimensions == other.Dimensions;
}
