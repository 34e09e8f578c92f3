using System.Numerics.Tensors;
using System.Text;

namespace StreamRag.Embedding;

/// <summary>
/// Which of a document's chunks are worth a place in the vector graph. Many identical (or
/// near-identical) vectors in one HNSW graph close themselves off into a cluster whose links all
/// point inside it, and searches that enter it never reach the other passages (measured in
/// docs/faults.md#spam-and-graph-reachability). So a document stores each distinct passage once,
/// and passages with nothing to search by are left out. The result is renumbered from 0 in order of
/// first appearance, so chunk ids stay <c>doc#0..n-1</c> and stable for the same content.
/// </summary>
public static class Passages
{
    /// <summary>Names these rules in content hashes: a document stored under other rules is re-embedded when it is sent again.</summary>
    public const string Rules = "distinct-v1";

    /// <summary>Vectors shorter than this (L2 norm) have no direction: every search scores them alike, so they only clog the graph.</summary>
    public const double MinVectorNorm = 1e-6;

    /// <summary>
    /// The distinct passages of a cut that have a letter or a digit, renumbered from 0: repeats of an
    /// earlier passage (same text once runs of white space are collapsed) and passages of only
    /// symbols or white space are dropped before anything is embedded.
    /// </summary>
    public static DistinctPassages Distinct(IReadOnlyList<TextChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<TextChunk>(chunks.Count);
        int repeated = 0, empty = 0;
        foreach (var chunk in chunks)
        {
            if (!HasSearchableText(chunk.Text))
            {
                empty++;
            }
            else if (!seen.Add(CollapseWhiteSpace(chunk.Text)))
            {
                repeated++;
            }
            else
            {
                kept.Add(new TextChunk(kept.Count, chunk.Text));
            }
        }

        return new DistinctPassages(kept, repeated, empty);
    }

    /// <summary>
    /// Positions of the vectors to store, in order: a vector without direction (norm below
    /// <see cref="MinVectorNorm"/>, or not finite) is dropped, and so is one at least
    /// <paramref name="nearDuplicateCosine"/> similar to a vector kept before it (the index's
    /// threshold, <c>IndexOptions.NearDuplicateCosine</c>).
    /// </summary>
    public static DistinctVectors DistinctVectors(IReadOnlyList<ReadOnlyMemory<float>> vectors, double nearDuplicateCosine)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        var kept = new List<int>(vectors.Count);
        var norms = new List<float>(vectors.Count);
        int nearDuplicates = 0, degenerate = 0;
        for (var i = 0; i < vectors.Count; i++)
        {
            var vector = vectors[i].Span;
            var norm = TensorPrimitives.Norm(vector);
            if (!float.IsFinite(norm) || norm < MinVectorNorm)
            {
                degenerate++;
                continue;
            }

            // Quadratic in the passages kept, bounded by the per-document passage limit; a spam
            // document keeps one passage, so it costs one comparison per chunk.
            var duplicate = false;
            for (var j = 0; j < kept.Count && !duplicate; j++)
            {
                var other = vectors[kept[j]].Span;
                duplicate = other.Length == vector.Length
                            && TensorPrimitives.Dot(vector, other) / (norm * norms[j]) >= nearDuplicateCosine;
            }

            if (duplicate)
            {
                nearDuplicates++;
                continue;
            }

            kept.Add(i);
            norms.Add(norm);
        }

        return new DistinctVectors(kept, nearDuplicates, degenerate);
    }

    private static bool HasSearchableText(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                return true;
            }
        }

        return false;
    }

    private static string CollapseWhiteSpace(string text) =>
        string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
