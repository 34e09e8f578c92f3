using System.Globalization;
using StreamRag.Embedding;

namespace StreamRag.Bench;

/// <summary>
/// <c>./bench.sh --cluster</c>: ingestion and query throughput of the fleet on one standalone Redis
/// (<c>Redis:Shards=1</c>, <c>Streams:Partitions=1</c>) and on a local Redis Cluster of 3 masters and
/// 3 replicas (<c>Redis:Shards=3</c>, <c>Streams:Partitions=3</c>), same corpus, same queries, same
/// fleet (one embedder, one query worker, hashing embedder), in one run; and for every node the
/// commands, bytes and processor time each document and each query cost it (<see cref="NodeCounters"/>),
/// from which <see cref="ClusterReport"/> derives how far N nodes go. Both deployments run side by
/// side and take turns, round by round, so a busy moment of the machine hits both alike.
/// </summary>
internal static class ClusterBench
{
    /// <summary>Synthetic texts (18 words each) per document: 54 words, cut into 3 passages of at most <see cref="ChunkWords"/>.</summary>
    private const int TextsPerDocument = 3;

    private const int ChunkWords = 20;

    public static async Task<int> RunAsync(string root, string[] args)
    {
        var smoke = args.Contains("--smoke");
        var quick = args.Contains("--quick");
        var (documents, queries) = smoke ? (60, 20) : quick ? (1_000, 200) : (5_000, 500);
        var nIndex = Array.IndexOf(args, "--n");
        if (nIndex >= 0 && (nIndex + 1 >= args.Length || !int.TryParse(args[nIndex + 1], NumberStyles.None, CultureInfo.InvariantCulture, out documents) || documents is < 10 or > 200_000))
        {
            Console.Error.WriteLine("--cluster --n takes 10 to 200,000 documents");
            return 2;
        }

        var warmup = smoke ? 10 : 100;
        var concurrency = smoke ? 4 : 8;
        var rounds = smoke ? 2 : 5;
        Console.WriteLine($"StreamRag cluster benchmark: {documents:N0} documents ({TextsPerDocument * 18} words, {TextsPerDocument} passages each), {queries:N0} queries ({concurrency} in flight), hashing embedder, 1 embedder + 1 query worker per deployment, {rounds} rounds in turn; {Environment.ProcessorCount} cores");
        var corpus = SyntheticCorpus.Generate((warmup + documents) * TextsPerDocument, queries, 384);
        var texts = Enumerable.Range(0, warmup + documents)
            .Select(d => string.Join(' ', corpus.Texts.Skip(d * TextsPerDocument).Take(TextsPerDocument)))
            .ToArray();
        var (docs, warm) = (texts[warmup..], texts[..warmup]);
        var chunker = new TextChunker(ChunkWords, 0);

        Console.WriteLine("Starting a standalone Redis (Shards=1, Partitions=1) and a cluster of 3 masters + 3 replicas (Shards=3, Partitions=3), each with its fleet…");
        await using var standalone = await Deployment.StartAsync("standalone", "1 master", await Fleet.StartRedisAsync(root), 1, chunker, ChunkWords, warm, corpus.QueryTexts);
        await using var cluster = await Deployment.StartAsync("cluster", "3 masters + 3 replicas", await Fleet.StartClusterAsync(root), 3, chunker, ChunkWords, warm, corpus.QueryTexts);
        var idle = TimeSpan.FromSeconds(smoke ? 1 : 3);
        await Task.WhenAll(standalone.MeasureIdleAsync(idle), cluster.MeasureIdleAsync(idle));

        Console.WriteLine("Ingestion…");
        foreach (var (round, first, count) in Slices(documents, rounds))
        {
            // Who goes first alternates, so neither always inherits the other's leftovers.
            foreach (var d in round % 2 == 0 ? [standalone, cluster] : new[] { cluster, standalone })
            {
                await d.IngestAsync(docs, first, count);
            }
        }

        Console.WriteLine("Queries…");
        foreach (var (round, first, count) in Slices(queries, rounds))
        {
            foreach (var d in round % 2 == 0 ? [standalone, cluster] : new[] { cluster, standalone })
            {
                await d.QueryAsync(corpus.QueryTexts, first, count, concurrency);
            }
        }

        new ClusterReport(documents, queries, concurrency, rounds, standalone.Result(), cluster.Result())
            .Write(Path.Combine(root, "bench-results"), smoke ? "cluster-smoke" : quick ? "cluster-quick" : nIndex >= 0 ? $"cluster-n{documents}" : "cluster");
        return 0;
    }

    /// <summary><paramref name="total"/> split into <paramref name="rounds"/> consecutive slices (round, first, count).</summary>
    private static IEnumerable<(int Round, int First, int Count)> Slices(int total, int rounds) =>
        Enumerable.Range(0, rounds)
            .Select(r => (r, First: total * r / rounds, Next: total * (r + 1) / rounds))
            .Where(s => s.Next > s.First)
            .Select(s => (s.r, s.First, s.Next - s.First));
}

/// <summary>One measured phase: its units (documents or queries), how long it took, and what it cost every node and process.</summary>
/// <param name="Passages">Passages indexed (ingestion), or the queries again.</param>
/// <param name="Seconds">From the first XADD (or query) of each round to its last passage searchable (or reply), summed over the rounds.</param>
/// <param name="LatenciesMs">Each query's latency (query phase only).</param>
internal sealed record Phase(int Units, long Passages, double Seconds, IReadOnlyList<NodeCost> Nodes, IReadOnlyDictionary<string, double> ProcessCpuSeconds, IReadOnlyList<double>? LatenciesMs)
{
    public double UnitsPerSecond => Units / Seconds;

    public IEnumerable<NodeCost> Masters => Nodes.Where(n => !n.IsReplica);
}

/// <summary>One Redis deployment the fleet ran on, with its ingestion and query phases.</summary>
internal sealed record Configuration(string Name, string Layout, string RedisVersion, int Shards, int StreamPartitions, Phase Ingestion, Phase Queries);
