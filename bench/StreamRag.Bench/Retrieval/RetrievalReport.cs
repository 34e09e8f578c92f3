using System.Globalization;
using System.Text;

namespace StreamRag.Bench.Retrieval;

/// <summary>The retrieval benchmark's tables (stdout and bench-results/NAME.md) and its figures (NAME.json).</summary>
internal sealed class RetrievalReport(
    IReadOnlyList<CorpusRun> runs,
    string server,
    string redisVersion,
    string? searchModule,
    TimeSpan elapsed)
{
    /// <summary>The Query Engine targets of issue 19, as ratios of MRR@10.</summary>
    private const double OverVectorOnly = 1.0;
    private const double OverVectorOnlyOnOne = 1.05;
    private const double OverVectorSet = 1.0;
    private const double OverBm25 = 1.1;

    public void Write(string directory, string name)
    {
        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, Redis {redisVersion}" + (searchModule is null ? "" : $" ({searchModule} for the Query Engine engine)");
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture,
            $"StreamRag retrieval benchmark — {string.Join("; ", runs.Select(r => $"{r.Title}: {r.Corpus.Documents.Count:N0} documents, {r.Corpus.Queries.Count} known-item queries"))}; {machine}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; run time {elapsed.TotalMinutes:0.0} min");
        table.AppendLine();
        table.AppendLine("Document level (a passage counts as its document; the fleet is asked for 50 passages, the first 10 distinct documents count). MRR@10 side by side; ratios are of the Query Engine's hybrid search.");
        table.AppendLine();
        table.AppendLine("| corpus | provider | exact BM25 | vector-set engine | Query Engine hybrid | Query Engine vector only | hybrid / vector only | hybrid / vector-set | hybrid / BM25 |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            foreach (var result in run.Results)
            {
                var search = result.Search;
                table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {run.Name} | {result.Provider.Name} | {run.Bm25.MrrAt10:0.000} | {Mrr(result.Ranked)} | {Mrr(search?.Hybrid)} | {Mrr(search?.VectorOnly)} | {Ratio(search?.Hybrid, search?.VectorOnly)} | {Ratio(search?.Hybrid, result.Ranked)} | {Ratio(search?.Hybrid, run.Bm25)} |"));
            }
        }

        table.AppendLine();
        if (Int8VsFloat32() is { Count: > 0 } precisions)
        {
            table.AppendLine("int8 beside float32 (MRR@10 of the vector-set engine, default ranking; target ≥ 0.98 × float32 on both corpora): " + string.Join("; ", precisions) + ".");
            table.AppendLine();
        }

        if (runs.FirstOrDefault(r => r.SearchSkipped is not null) is { } skipped)
        {
            table.AppendLine($"Query Engine columns skipped: {skipped.SearchSkipped}.");
            table.AppendLine();
        }
        else if (Targets() is { Count: > 0 } targets)
        {
            table.AppendLine("Targets (default path provider, both corpora): " + string.Join("; ", targets) + ".");
            table.AppendLine();
        }

        foreach (var run in runs)
        {
            AppendCorpus(table, run);
        }

        table.AppendLine("Providers: " + string.Join("; ", runs[0].Results.Select(r => $"{r.Provider.Name} = {r.Provider.Description} ({string.Join(", ", r.Provider.Settings.Select(s => $"{s.Key}={s.Value}"))})")) + ".");
        ResultFiles.Write(directory, name, table.ToString(), new
        {
            machine,
            server,
            searchModule,
            utc = DateTime.UtcNow,
            runSeconds = elapsed.TotalSeconds,
            corpora = runs.Select(run => new
            {
                run.Name,
                run.Description,
                corpus = new { packages = run.Packages, documents = run.Corpus.Documents.Count, queries = run.Corpus.Queries.Count, available = run.Corpus.Available, eligibleQueries = run.Corpus.EligibleQueries, maxWords = ManPageCorpus.MaxWords },
                bm25 = run.Bm25,
                searchSkipped = run.SearchSkipped,
                providers = run.Results.Select(r => new
                {
                    r.Provider.Name,
                    r.Provider.Description,
                    r.Provider.Settings,
                    defaultPath = r.Provider.IsDefaultPath,
                    fleet = r.Fleet,
                    ranked = r.Ranked,
                    exact = r.Exact,
                    search = r.Search,
                    mrrVsBm25 = r.Fleet is { } f ? f.MrrAt10 / run.Bm25.MrrAt10 : (double?)null,
                    rankedMrrVsBm25 = r.Ranked is { } d ? d.MrrAt10 / run.Bm25.MrrAt10 : (double?)null,
                    exactMrrVsBm25 = r.Exact is { } e ? e.MrrAt10 / run.Bm25.MrrAt10 : (double?)null,
                    r.Passages,
                    r.IngestSeconds,
                    r.QueryP50Ms,
                    r.RankedQueryP50Ms,
                    r.Failure,
                }),
            }),
        });
    }

    /// <summary>Each int8 run's MRR@10 beside its float32 run's, per corpus, met or missed.</summary>
    private List<string> Int8VsFloat32()
    {
        var lines = new List<string>();
        foreach (var run in runs)
        {
            foreach (var int8 in run.Results.Where(r => r.Provider.Float32Name is not null && r.Ranked is not null))
            {
                if (run.Results.FirstOrDefault(r => r.Provider.Name == int8.Provider.Float32Name && r.Ranked is not null) is { } float32)
                {
                    var ratio = int8.Ranked!.MrrAt10 / float32.Ranked!.MrrAt10;
                    lines.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{run.Name} {float32.Provider.Name} {float32.Ranked.MrrAt10:0.000} vs int8 {int8.Ranked.MrrAt10:0.000} = {ratio:0.000} × ({(ratio >= 0.98 ? "met" : "MISSED")})"));
                }
            }
        }

        return lines;
    }

    /// <summary>Each Query Engine target on the default path's figures, met or missed.</summary>
    private List<string> Targets()
    {
        var measured = runs.Select(r => (Run: r, Result: r.Results.FirstOrDefault(x => x.Provider.IsDefaultPath && x.Ranked is not null && x.Search is { Hybrid: not null, VectorOnly: not null })))
            .Where(x => x.Result is not null)
            .Select(x => (x.Run, Result: x.Result!))
            .ToArray();
        if (measured.Length == 0)
        {
            return [];
        }

        string Check(string what, Func<(CorpusRun Run, ProviderResult Result), double> ratio, double target, bool any = false)
        {
            var ratios = measured.Select(m => (m.Run.Name, Ratio: ratio(m))).ToArray();
            var met = any ? ratios.Any(r => r.Ratio >= target) : ratios.All(r => r.Ratio >= target);
            return string.Create(CultureInfo.InvariantCulture,
                $"hybrid ≥ {target:0.00} × {what}{(any ? " on at least one" : "")}: {string.Join(", ", ratios.Select(r => $"{r.Name} {r.Ratio:0.000}"))} — {(met ? "met" : "MISSED")}");
        }

        return
        [
            Check("its vector only", m => m.Result.Search!.Hybrid!.MrrAt10 / m.Result.Search.VectorOnly!.MrrAt10, OverVectorOnly),
            Check("its vector only", m => m.Result.Search!.Hybrid!.MrrAt10 / m.Result.Search.VectorOnly!.MrrAt10, OverVectorOnlyOnOne, any: true),
            Check("the vector-set engine", m => m.Result.Search!.Hybrid!.MrrAt10 / m.Result.Ranked!.MrrAt10, OverVectorSet),
            Check("exact BM25", m => m.Result.Search!.Hybrid!.MrrAt10 / m.Run.Bm25.MrrAt10, OverBm25),
        ];
    }

    private static void AppendCorpus(StringBuilder table, CorpusRun run)
    {
        var baseline = run.Bm25;
        string Row(string label, KnownItemScores scores, string target, string passages, string ingestion, string latency) =>
            string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {scores.HitAt1:0.000} ({Ratio(scores.HitAt1, baseline.HitAt1)}) | {scores.HitAt10:0.000} ({Ratio(scores.HitAt10, baseline.HitAt10)}) | {scores.MrrAt10:0.000} | {Ratio(scores.MrrAt10, baseline.MrrAt10)} | {target} | {passages} | {ingestion} | {latency} |");

        table.AppendLine(CultureInfo.InvariantCulture, $"### {run.Title} ({run.Name}): {run.Corpus.Documents.Count:N0} documents (of {run.Corpus.Available:N0}), {run.Corpus.Queries.Count} queries");
        table.AppendLine();
        table.AppendLine($"Corpus: {string.Join(", ", run.Packages)} (Debian 13); {run.Description}. Ratios are to exact BM25 in this run.");
        table.AppendLine();
        table.AppendLine("| retrieval | hit@1 | hit@10 | MRR@10 | MRR@10 vs exact BM25 | target | passages | ingestion | query p50 |");
        table.AppendLine("|---|---:|---:|---:|---:|---|---:|---:|---:|");
        table.AppendLine(Row($"exact BM25 (k1 {Bm25.K1}, b {Bm25.B}), whole documents", baseline, "", "", "", ""));
        foreach (var result in run.Results)
        {
            var target = result.Provider.IsDefaultPath ? "≥ 1.0 × BM25 (default path)" : "";
            if (result.Failure is { } failure)
            {
                table.AppendLine($"| {result.Provider.Name}, fleet | — | — | — | — | {target} | not measured: {failure.Replace('|', '/')} | | |");
            }
            else
            {
                table.AppendLine(Row($"{result.Provider.Name}, fleet, default ranking (similarity plus the share of the query's words held)", result.Ranked!, target,
                    result.Passages.ToString("N0", CultureInfo.InvariantCulture),
                    string.Create(CultureInfo.InvariantCulture, $"{result.IngestSeconds:0.0} s"),
                    string.Create(CultureInfo.InvariantCulture, $"{result.RankedQueryP50Ms:0.0} ms")));
                table.AppendLine(Row($"{result.Provider.Name}, fleet, vector order (HNSW, Query:Rerank=None)", result.Fleet!, "", "", "",
                    string.Create(CultureInfo.InvariantCulture, $"{result.QueryP50Ms:0.0} ms")));
                table.AppendLine(Row($"{result.Provider.Name}, exact cosine on the fleet's vectors", result.Exact!, "", "", "", ""));
            }

            if (result.Search is { } search)
            {
                if (search.Failure is { } searchFailure)
                {
                    table.AppendLine($"| {result.Provider.Name}, Query Engine engine | — | — | — | — | | not measured: {searchFailure.Replace('|', '/')} | | |");
                    continue;
                }

                var ingestion = string.Create(CultureInfo.InvariantCulture, $"{search.IngestSeconds:0.0} s");
                table.AppendLine(Row($"{result.Provider.Name}, Query Engine engine, hybrid ({search.Fusion}), default ranking", search.Hybrid!, "", "", ingestion, ""));
                table.AppendLine(Row($"{result.Provider.Name}, Query Engine engine, hybrid ({search.Fusion}), engine order (Query:Rerank=None)", search.HybridEngineOrder!, "", "", "", ""));
                table.AppendLine(Row($"{result.Provider.Name}, Query Engine engine, vector only (Index:Search:TextWeight=0), default ranking", search.VectorOnly!, "", "", "", ""));
            }
        }

        table.AppendLine();
    }

    private static string Mrr(KnownItemScores? scores) =>
        scores is null ? "—" : scores.MrrAt10.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Ratio(KnownItemScores? value, KnownItemScores? baseline) =>
        value is null || baseline is null ? "—" : Ratio(value.MrrAt10, baseline.MrrAt10);

    private static string Ratio(double value, double baseline) =>
        baseline == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{value / baseline:0.00} ×");
}
