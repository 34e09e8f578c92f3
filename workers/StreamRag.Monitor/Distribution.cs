namespace StreamRag.Monitor;

/// <summary>Mean and percentiles of one timing over the window.</summary>
internal readonly record struct Distribution(double Avg, double P50, double P95, double P99, double Max)
{
    public static Distribution Empty { get; } = new(0, 0, 0, 0, 0);

    public static Distribution Of(double[] values)
    {
        if (values.Length == 0)
        {
            return Empty;
        }

        Array.Sort(values);
        return new Distribution(values.Average(), Percentile(values, 0.50), Percentile(values, 0.95), Percentile(values, 0.99), values[^1]);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
