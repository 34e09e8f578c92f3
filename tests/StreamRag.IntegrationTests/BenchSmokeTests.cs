using System.Diagnostics;
using System.Text.Json;

namespace StreamRag.IntegrationTests;

/// <summary>The benchmark harness runs end to end on a tiny load, the local model's figures included (no timing is asserted).</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Bench_Smoke_RunsEveryStageAndPrintsTheTable()
    {
        var text = await RunBenchAsync(TimeSpan.FromMinutes(3), "--smoke");

        foreach (var figure in new[] { "| ingestion |", "| memory per chunk |", "| query latency p50, 1 client |", "| recall@10 |", "| throughput, 16 clients |", "| Redis commands per query |", "| freshness p99 at 200 events/s |",
                     "| raw model inference, batch 32 vs batch 1 |", "| model ingestion, 1 embedder |", "| model ingestion, 2 embedders vs 1 |", "| model query latency p50, 1 client |" })
        {
            Assert.Contains(figure, text, StringComparison.Ordinal);
        }
    }

    /// <summary>Fetches the manual pages and Python's documentation (once per machine: they are cached in .bench-corpus/) and runs the quality benchmark on 50 documents of each.</summary>
    [Fact]
    public async Task Bench_RetrievalSmoke_ScoresBm25AndTheFleetOnManualPages()
    {
        // The first run on a machine downloads eight Debian packages.
        var text = await RunBenchAsync(TimeSpan.FromMinutes(5), "retrieval", "--smoke");

        Assert.Contains("| exact BM25 (k1 1.2, b 0.75), whole documents |", text, StringComparison.Ordinal);
        Assert.Contains("| hashing, fleet, default ranking (similarity plus the share of the query's words held) |", text, StringComparison.Ordinal);
        Assert.Contains("| hashing, fleet, vector order (HNSW, Query:Rerank=None) |", text, StringComparison.Ordinal);
        Assert.Contains("| hashing, exact cosine on the fleet's vectors |", text, StringComparison.Ordinal);
        Assert.Contains("manpages-dev ", text, StringComparison.Ordinal);
        // The second corpus, and the Query Engine engine beside vector sets, or why it did not run.
        Assert.Contains("| pydocs | hashing | ", text, StringComparison.Ordinal);
        Assert.Contains("python3.13-doc ", text, StringComparison.Ordinal);
        var searched = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("STREAMRAG_SEARCH_MODULE"));
        Assert.Contains(searched ? "| hashing, Query Engine engine, hybrid" : "Query Engine columns skipped: STREAMRAG_SEARCH_MODULE is not set", text, StringComparison.Ordinal);
        if (searched)
        {
            // The Query Engine's two sides, kept alone, fuse offline (bench/fusion-study.py).
            // Standard library only: Debian's python3 (deploy/tools.sh installs it), else the one on PATH.
            var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
            var study = await RunAsync(python, [Path.Combine(RepositoryRoot(), "bench", "fusion-study.py"), "--provider", "hashing", "--results", Path.Combine(RepositoryRoot(), "bench-results", "smoke")], TimeSpan.FromMinutes(2));
            Assert.Contains("## manpages, hashing:", study, StringComparison.Ordinal);
            Assert.Contains("## pydocs, hashing:", study, StringComparison.Ordinal);
            Assert.Matches(@"linear, text weight 0\.02 +\d\.\d{3} / \d\.\d{3}", study);
        }
    }

    /// <summary>Standing queries on a tiny load: latency, ingestion with and without watches, recall, each against its target.</summary>
    [Fact]
    public async Task Bench_WatchSmoke_PrintsLatencyIngestionAndRecallAgainstTheirTargets()
    {
        var text = await RunBenchAsync(TimeSpan.FromMinutes(3), "--watch", "--smoke");

        Assert.Matches(@"\| notification latency p99, 1,000 watches, 200 events/s \| \d+\.\d ms \| ≤ 100 ms \| (yes|no) \|", text);
        Assert.Matches(@"\| ingestion, 1,000 watches vs none \(\d+ vs \d+ passages/s\) \| \d\.\d\d× \| ≥ 0\.9× \| (yes|no) \|", text);
        Assert.Matches(@"\| … of which in the index's VADD, and in the match's VSIM \(INFO commandstats\) \| \d+ and \d+ vs \d+ and – µs \|", text);
        // Recall is a property of the match, not of the machine's speed: asserted even here.
        Assert.Matches(@"\| recall vs exact similarity ≥ threshold \+ 0\.02 \([\d,]+ pairs, [^)]*\) \| (0\.99\d\d|1\.0000) \| ≥ 0\.99 \| yes \|", text);
    }

    /// <summary>One standalone Redis and a cluster of 3 masters + 3 replicas (started on free ports and stopped by the bench), a tiny load through both.</summary>
    [Fact]
    public async Task Bench_ClusterSmoke_MeasuresBothDeploymentsAndEveryMaster()
    {
        var text = await RunBenchAsync(TimeSpan.FromMinutes(4), "--cluster", "--smoke");

        Assert.Contains("| ingestion | ", text, StringComparison.Ordinal);
        Assert.Contains("| N masters |", text, StringComparison.Ordinal);
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "bench-results", "cluster-smoke.json"), TestContext.Current.CancellationToken));
        var configurations = result.RootElement.GetProperty("configurations").EnumerateArray().ToArray();
        Assert.Equal(["standalone", "cluster"], configurations.Select(c => c.GetProperty("name").GetString()));
        foreach (var configuration in configurations)
        {
            var name = configuration.GetProperty("name").GetString();
            foreach (var phase in new[] { "ingestion", "queries" })
            {
                var measured = configuration.GetProperty(phase);
                Assert.True(measured.GetProperty("unitsPerSecond").GetDouble() > 0, $"{name} {phase}: no throughput");
                var nodes = measured.GetProperty("nodes").EnumerateArray().ToArray();
                var masters = nodes.Where(n => n.GetProperty("role").GetString() == "master").ToArray();
                Assert.Equal(name == "cluster" ? (3, 3) : (1, 0), (masters.Length, nodes.Length - masters.Length));
                foreach (var master in masters)
                {
                    var node = $"{name} {phase} {master.GetProperty("node").GetString()}";
                    Assert.True(master.GetProperty("commandsPerUnit").GetDouble() > 0, $"{node}: no commands");
                    Assert.True(master.GetProperty("netInputBytesPerUnit").GetDouble() > 0, $"{node}: no bytes in");
                    Assert.True(master.GetProperty("netOutputBytesPerUnit").GetDouble() > 0, $"{node}: no bytes out");
                }
            }
        }

        Assert.True(result.RootElement.GetProperty("ratios").GetProperty("documentsPerSecond").GetDouble() > 0);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRag.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamRag.sln not found");
    }

    private static async Task<string> RunBenchAsync(TimeSpan limit, params string[] args)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(testBin.Parent!.Parent!.FullName, "StreamRag.Bench", testBin.Name, "StreamRag.Bench.dll");
        Assert.True(File.Exists(dll), $"bench not built: {dll}");
        return await RunAsync("dotnet", [dll, .. args], limit);
    }

    private static async Task<string> RunAsync(string program, string[] args, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(limit);
        await process.WaitForExitAsync(timeout.Token);

        var text = await output;
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed:\n{text}\n{await errors}");
        return text;
    }
}
