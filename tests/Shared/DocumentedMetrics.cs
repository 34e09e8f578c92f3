using System.Text.RegularExpressions;

namespace StreamRag.TestSupport;

/// <summary>One metric as a metric table of docs/operations.md documents it.</summary>
/// <param name="Name">The Prometheus name (a histogram's base name, without _bucket, _sum, _count).</param>
/// <param name="Type">counter, gauge or histogram (the "type" column; empty when the table has none).</param>
/// <param name="Labels">Its labels (the "labels" column), besides the ones Prometheus and the exporter add.</param>
/// <param name="Hosts">The hosts that export it (the "hosts" column: embedder, query, sweeper, monitor).</param>
/// <param name="Condition">The text after "only" in the meaning column: when the series exists at all, or null when always.</param>
public sealed record DocumentedMetric(string Name, string Type, IReadOnlyList<string> Labels, IReadOnlyList<string> Hosts, string? Condition);

/// <summary>
/// The metrics docs/operations.md documents: every table whose first header cell starts with
/// "metric", each row's backticked names in that column, with the row's "type", "labels", "hosts"
/// and "meaning" columns when the table has them.
/// </summary>
public static partial class DocumentedMetrics
{
    public static IReadOnlyDictionary<string, DocumentedMetric> Read(string operationsMd)
    {
        var metrics = new Dictionary<string, DocumentedMetric>(StringComparer.Ordinal);
        string[]? header = null;
        foreach (var line in File.ReadLines(operationsMd))
        {
            if (!line.StartsWith('|'))
            {
                header = null;
                continue;
            }

            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            if (cells[1].StartsWith("metric", StringComparison.Ordinal))
            {
                header = cells;
                continue;
            }

            if (header is null || cells[1].StartsWith("---", StringComparison.Ordinal))
            {
                continue;
            }

            var typeColumn = Math.Max(2, Array.IndexOf(header, "type"));
            var type = Column(cells, typeColumn);
            var labels = BacktickedName().Matches(Column(cells, Array.IndexOf(header, "labels"))).Select(m => m.Groups[1].Value).ToArray();
            var hosts = Column(cells, Array.IndexOf(header, "hosts")).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var only = OnlyCondition().Match(Column(cells, Array.IndexOf(header, "meaning")));
            foreach (Match name in BacktickedName().Matches(cells[1]))
            {
                metrics[name.Groups[1].Value] = new DocumentedMetric(name.Groups[1].Value, type, labels, hosts, only.Success ? only.Groups[1].Value.Trim() : null);
            }
        }

        return metrics;
    }

    private static string Column(string[] cells, int index) => index > 0 && index < cells.Length ? cells[index] : "";

    [GeneratedRegex(@"`([a-zA-Z_:][a-zA-Z0-9_:]*)`")]
    private static partial Regex BacktickedName();

    /// <summary>"…; only once X" or a meaning that starts with "only".</summary>
    [GeneratedRegex(@"(?:^|;\s*)only\s+(.+)$")]
    private static partial Regex OnlyCondition();
}
