using System.Diagnostics;

namespace StreamRag.IntegrationTests;

/// <summary>The benchmark harness runs end to end on a tiny load, the local model's figures included (no timing is asserted).</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Bench_Smoke_RunsEveryStageAndPrintsTheTable()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(testBin.Parent!.Parent!.FullName, "StreamRag.Bench", testBin.Name, "StreamRag.Bench.dll");
        Assert.True(File.Exists(dll), $"bench not built: {dll}");
        var start = new ProcessStartInfo("dotnet", [dll, "--smoke"]) { RedirectStandardOutput = true, RedirectStandardError = true };

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);

        var text = await output;
        Assert.True(process.ExitCode == 0, $"bench failed:\n{text}\n{await errors}");
        foreach (var figure in new[] { "| ingestion |", "| memory per chunk |", "| query latency p50, 1 client |", "| recall@10 |", "| throughput, 16 clients |", "| freshness p99 at 200 events/s |",
                     "| raw model inference, batch 32 vs batch 1 |", "| model ingestion, 1 embedder |", "| model ingestion, 2 embedders vs 1 |", "| model query latency p50, 1 client |" })
        {
            Assert.Contains(figure, text, StringComparison.Ordinal);
        }
    }
}
