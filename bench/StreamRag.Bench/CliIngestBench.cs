using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Ingest;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>
/// <c>./bench.sh --cli</c>: ingestion of the bench corpus through the `streamrag ingest` code path
/// (<see cref="Ingestor"/>: a JSON Lines file read, ledger and index checked, every event checked by
/// the contract parser, posted with the client and followed until searchable) beside the bench's own
/// producer (pipelined XADD, then waiting for the vector-set size), on the same fleet in one run.
/// Both use the hashing embedder so the embedder is not what is measured.
/// </summary>
internal static class CliIngestBench
{
    public static async Task<int> RunAsync(string root, int n)
    {
        Console.WriteLine($"CLI ingest benchmark: {n:N0} documents of the synthetic bench corpus, hashing embedder; {Environment.ProcessorCount} cores");
        var corpus = SyntheticCorpus.Generate(n, 1, 384);
        await using var fleet = await Fleet.StartRedisAsync(root);
        using var redis = await ConnectionMultiplexer.ConnectAsync(fleet.Configuration);
        var db = redis.GetDatabase();
        var keys = new KeySchema("bench", 1);
        fleet.StartWorker("Embedder", new Dictionary<string, string>
        {
            ["Redis:KeyPrefix"] = "bench",
            ["Embedding:Provider"] = "hashing",
            ["Index:Engine"] = "vectorset",
            ["Consumer:ClaimInterval"] = "00:00:01",
            ["Metrics:PrometheusPort"] = "0",
        });
        await FleetPresence.WaitForLiveConsumerAsync(db, keys.DocumentEvents, keys.EmbedderGroup, "embedder", TimeSpan.FromSeconds(60), TimeProvider.System, CancellationToken.None);

        // The bench's own producer, as in the main benchmark's ingestion figure (tenant "default").
        var clock = Stopwatch.StartNew();
        await Producer.PostAsync(db, keys, corpus.Texts, n);

        var vset = keys.PartitionOf("default", "d0").VectorSet;
        while (await db.VectorSetLengthAsync(vset) < n)
        {
            fleet.EnsureRunning();
            await Task.Delay(20);
        }

        var producerSeconds = clock.Elapsed.TotalSeconds;

        // The same texts through the CLI's code path, into tenant "cli" (a vector set of the same size).
        var folder = Directory.CreateTempSubdirectory("streamrag-bench-cli-");
        try
        {
            var file = Path.Combine(folder.FullName, "corpus.jsonl");
            await File.WriteAllLinesAsync(file, Enumerable.Range(0, n).Select(i =>
                JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = $"d{i}", ["content"] = corpus.Texts[i], ["source"] = SyntheticCorpus.Source(i) })));
            await using var client = new StreamRagClient(redis, keys);
            var summary = await new Ingestor(redis, keys, client, TimeProvider.System)
                .RunAsync(IngestSources.Resolve([file]), new IngestOptions { Tenant = "cli" }, null, CancellationToken.None);
            if (summary.Searchable != n)
            {
                Console.Error.WriteLine($"the CLI path made {summary.Searchable} of {n} documents searchable");
                return 1;
            }

            var cliRate = summary.Passages / summary.Elapsed.TotalSeconds;
            var producerRate = n / producerSeconds;
            var table = new StringBuilder();
            table.AppendLine(CultureInfo.InvariantCulture, $"StreamRag CLI ingest benchmark — {n:N0} documents (one passage each), hashing embedder, 1 embedder; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            table.AppendLine();
            table.AppendLine("| path | passages/s | seconds |");
            table.AppendLine("|---|---:|---:|");
            table.AppendLine(CultureInfo.InvariantCulture, $"| bench producer (pipelined XADD, wait for VCARD) | {producerRate:0} | {producerSeconds:0.00} |");
            table.AppendLine(CultureInfo.InvariantCulture, $"| `streamrag ingest` code path (JSON Lines file → searchable, ledger recorded) | {cliRate:0} | {summary.Elapsed.TotalSeconds:0.00} |");
            table.AppendLine();
            table.AppendLine(CultureInfo.InvariantCulture, $"ratio CLI / bench producer: {cliRate / producerRate:0.00}");
            Console.WriteLine();
            Console.WriteLine(table);
            var outDir = Path.Combine(root, "bench-results");
            Directory.CreateDirectory(outDir);
            await File.WriteAllTextAsync(Path.Combine(outDir, "cli.md"), table.ToString());
            return 0;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
