namespace StreamRag.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[rank];
    }

    public static double Recall(IEnumerable<int[]> truth, IEnumerable<int[]> found, int k)
    {
        var pairs = truth.Zip(found).ToArray();
        return pairs.Length == 0 ? double.NaN : pairs.Average(p => (double)p.First.Take(k).Intersect(p.Second.Take(k)).Count() / Math.Min(k, Math.Max(1, p.First.Length)));
    }
}

/// <summary>One line of the result table: a figure, its raw-Redis baseline and the ratio.</summary>
internal sealed record Figure(string Name, string Unit, double Fleet, double? Raw, string? Target, string? Note = null)
{
    public double? Ratio => Raw is { } r && r != 0 ? Fleet / r : null;
}
