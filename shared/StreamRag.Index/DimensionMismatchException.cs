
namespace StreamRag.Index;

/// <summary>A vector whose dimension differs from the index's: it can never be written.</summary>
public sealed class DimensionMismatchException(int expected, int actual)
    : Exception($"vector has {actual} dimensions but the index holds {expected}")
{
    public int Expected { get; } = expected;

    public int Actual { get; } = actual;
}
