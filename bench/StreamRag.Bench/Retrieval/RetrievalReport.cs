using System.Globalization;
using System.Text;

namespace StreamRag.Bench.Retrieval;

/// <summary>The retrieval benchmark's table (stdout and bench-results/NAME.md) and its figures (NAME.json).</summary>
internal sealed class RetrievalReport(
    ManPageCorpus corpus,
    IReadOnlyList<string> packages,
    KnownItemScores baseline,
    IReadOnlyList<ProviderResult> results,
    string server,
    string redisVersion,
    TimeSpan elapsed)
{
    public void Write(string directory, string name)
    {
        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, Redis {redisVersion}";
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture,
            $"StreamRag retrieval benchmark — {corpus.Documents.Count:N0} manual pages, {corpus.Queries.Count} known-item queries; {machine}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; run time {elapsed.TotalMinutes:0.0} min");
        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"Corpus: {string.Join(", ", packages)} (Debian 13); pages cut after {ManPageCorpus.MaxWords} words; query = the NAME summary, document = the page without its NAME section.");
        table.AppendLine();
        table.AppendLine("Document level (a passage counts as its document; the fleet is asked for 50 passages, the first 10 distinct documents count). Ratios are to exact BM25 in this run.");
        table.AppendLine();
        table.AppendLine("| retrieval | hit@1 | hit@10 | MRR@10 | MRR@10 vs exact BM25 | target | passages | ingestion | query p50 |");
        table.AppendLine("|---|---:|---:|---:|---:|---|---:|---:|---:|");
        table.AppendLine(Row($"exact BM25 (k1 {Bm25.K1}, b {Bm25.B}), whole documents", baseline, "", "", "", ""));
        foreach (var result in results)
        {
            var target = result.Provider.IsDefaultPath ? "≥ 1.0 × BM25 (default path)" : "";
            if (result.Failure is { } failure)
            {
                table.AppendLine($"| {result.Provider.Name}, fleet | — | — | — | — | {target} | not measured: {failure.Replace('|', '/')} | | |");
                continue;
            }

            table.AppendLine(Row($"{result.Provider.Name}, fleet, default ranking (similarity plus the share of the query's words held)", result.Ranked!, target,
                result.Passages.ToString("N0", CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{result.IngestSeconds:0.0} s"),
                string.Create(CultureInfo.InvariantCulture, $"{result.RankedQueryP50Ms:0.0} ms")));
            table.AppendLine(Row($"{result.Provider.Name}, fleet, vector order (HNSW, Query:Rerank=None)", result.Fleet!, "", "", "",
                string.Create(CultureInfo.InvariantCulture, $"{result.QueryP50Ms:0.0} ms")));
            table.AppendLine(Row($"{result.Provider.Name}, exact cosine on the fleet's vectors", result.Exact!, "", "", "", ""));
        }

        table.AppendLine();
        table.AppendLine("Providers: " + string.Join("; ", results.Select(r => $"{r.Provider.Name} = {r.Provider.Description} ({string.Join(", ", r.Provider.Settings.Select(s => $"{s.Key}={s.Value}"))})")) + ".");
        ResultFiles.Write(directory, name, table.ToString(), new
        {
            machine,
            server,
            utc = DateTime.UtcNow,
            runSeconds = elapsed.TotalSeconds,
            corpus = new { packages, documents = corpus.Documents.Count, queries = corpus.Queries.Count, pages = corpus.Pages, eligibleQueries = corpus.EligibleQueries, maxWords = ManPageCorpus.MaxWords },
            bm25 = baseline,
            providers = results.Select(r => new
            {
                r.Provider.Name,
                r.Provider.Description,
                r.Provider.Settings,
                defaultPath = r.Provider.IsDefaultPath,
                fleet = r.Fleet,
                ranked = r.Ranked,
                exact = r.Exact,
                mrrVsBm25 = r.Fleet is { } f ? f.MrrAt10 / baseline.MrrAt10 : (double?)null,
                rankedMrrVsBm25 = r.Ranked is { } d ? d.MrrAt10 / baseline.MrrAt10 : (double?)null,
                exactMrrVsBm25 = r.Exact is { } e ? e.MrrAt10 / baseline.MrrAt10 : (double?)null,
                r.Passages,
                r.IngestSeconds,
                r.QueryP50Ms,
                r.RankedQueryP50Ms,
                r.Failure,
            }),
        });
    }

    /// <summary>A table row: each figure with its ratio to the same BM25 figure.</summary>
    private string Row(string label, KnownItemScores scores, string target, string passages, string ingestion, string latency) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {scores.HitAt1:0.000} ({Ratio(scores.HitAt1, baseline.HitAt1)}) | {scores.HitAt10:0.000} ({Ratio(scores.HitAt10, baseline.HitAt10)}) | {scores.MrrAt10:0.000} | {Ratio(scores.MrrAt10, baseline.MrrAt10)} | {target} | {passages} | {ingestion} | {latency} |");

    private static string Ratio(double value, double baseline) =>
        baseline == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{value / baseline:0.00} ×");
}
