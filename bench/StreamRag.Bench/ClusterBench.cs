using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Embedding;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>
/// <c>./bench.sh --cluster</c>: ingestion and query throughput of the fleet on one standalone Redis
/// (<c>Redis:Shards=1</c>, <c>Streams:Partitions=1</c>) and on a local Redis Cluster of 3 masters and
/// 3 replicas (<c>Redis:Shards=3</c>, <c>Streams:Partitions=3</c>), same corpus, same queries, same
/// fleet (one embedder, one query worker, hashing embedder), in one run; and for every node the
/// commands, bytes and processor time each document and each query cost it
/// (<see cref="NodeCounters"/>), from which <see cref="ClusterReport"/> derives how far N nodes go.
/// </summary>
internal static class ClusterBench
{
    /// <summary>Synthetic texts (18 words each) per document: 54 words, cut into 3 passages of at most <see cref="ChunkWords"/>.</summary>
    private const int TextsPerDocument = 3;

    private const int ChunkWords = 20;

    private const int K = 10;

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
        Console.WriteLine($"StreamRag cluster benchmark: {documents:N0} documents ({TextsPerDocument * 18} words, {TextsPerDocument} passages each), {queries:N0} queries ({concurrency} in flight), hashing embedder, 1 embedder + 1 query worker; {Environment.ProcessorCount} cores");
        var corpus = SyntheticCorpus.Generate((warmup + documents) * TextsPerDocument, queries, 384);
        var texts = Enumerable.Range(0, warmup + documents)
            .Select(d => string.Join(' ', corpus.Texts.Skip(d * TextsPerDocument).Take(TextsPerDocument)))
            .ToArray();
        var workload = new Workload(texts[warmup..], texts[..warmup], corpus.QueryTexts, concurrency);

        Console.WriteLine("Standalone: 1 master, Redis:Shards=1, Streams:Partitions=1…");
        Configuration standalone;
        await using (var fleet = await Fleet.StartRedisAsync(root))
        {
            standalone = await MeasureAsync("standalone", "1 master", fleet, shards: 1, workload);
        }

        Console.WriteLine("Cluster: 3 masters + 3 replicas, Redis:Shards=3, Streams:Partitions=3…");
        Configuration cluster;
        await using (var fleet = await Fleet.StartClusterAsync(root))
        {
            cluster = await MeasureAsync("cluster", "3 masters + 3 replicas", fleet, shards: 3, workload);
        }

        new ClusterReport(documents, queries, concurrency, standalone, cluster)
            .Write(Path.Combine(root, "bench-results"), smoke ? "cluster-smoke" : quick ? "cluster-quick" : nIndex >= 0 ? $"cluster-n{documents}" : "cluster");
        return 0;
    }

    private static async Task<Configuration> MeasureAsync(string name, string layout, Fleet fleet, int shards, Workload work)
    {
        var options = ConfigurationOptions.Parse(fleet.Configuration);
        options.AllowAdmin = true;
        using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var db = redis.GetDatabase();
        var keys = new KeySchema("bench", shards, shards);
        var settings = new Dictionary<string, string>
        {
            ["Redis:KeyPrefix"] = keys.Prefix,
            ["Redis:Shards"] = shards.ToString(CultureInfo.InvariantCulture),
            ["Streams:Partitions"] = keys.StreamPartitions.ToString(CultureInfo.InvariantCulture),
            // The figure is Redis and the fleet, not a model: the hashing embedder costs microseconds.
            ["Embedding:Provider"] = "hashing",
            ["Chunking:Size"] = ChunkWords.ToString(CultureInfo.InvariantCulture),
            ["Chunking:Overlap"] = "0",
            ["Index:Engine"] = "vectorset",
            ["Query:CacheEntries"] = "0",
            ["Query:RecallSampleRate"] = "0",
            ["Consumer:ClaimInterval"] = "00:00:01",
            ["Metrics:PrometheusPort"] = "0",
        };
        fleet.StartWorker("Embedder", settings);
        fleet.StartWorker("Query", settings);
        var presence = TimeSpan.FromSeconds(60);
        foreach (var partition in keys.DocumentEventStreams)
        {
            await FleetPresence.WaitForLiveConsumerAsync(db, partition.Stream, keys.EmbedderGroup, "embedder", presence, TimeProvider.System, CancellationToken.None);
        }

        foreach (var partition in keys.QueryRequestStreams)
        {
            await FleetPresence.WaitForLiveConsumerAsync(db, partition.Stream, keys.QueryGroup, "query worker", presence, TimeProvider.System, CancellationToken.None);
        }

        await using var client = new StreamRagClient(redis, keys);
        var chunker = new TextChunker(ChunkWords, 0);

        // Warm-up (JIT, connections, the vector sets' first nodes): not measured.
        var indexed = work.Warmup.Sum(t => (long)chunker.Split(t).Count);
        await Producer.PostAsync(db, keys, work.Warmup, work.Warmup.Count, "w");
        await WaitIndexedAsync(fleet, db, keys, indexed);
        for (var i = 0; i < 20; i++)
        {
            await client.QueryAsync(work.Queries[i % work.Queries.Count], new QueryOptions { K = K });
        }

        // ---- Ingestion: XADD of every document → every passage in the index, all acknowledged ----
        var passages = work.Documents.Sum(t => (long)chunker.Split(t).Count);
        var before = await NodeCounters.ReadAllAsync(redis);
        var cpuBefore = ProcessCpu(fleet);
        var clock = Stopwatch.StartNew();
        await Producer.PostAsync(db, keys, work.Documents, work.Documents.Count);
        await WaitIndexedAsync(fleet, db, keys, indexed + passages);
        var ingestSeconds = clock.Elapsed.TotalSeconds;
        await WaitAcknowledgedAsync(db, keys.DocumentEventStreams, keys.EmbedderGroup);
        var ingestNodes = NodeCounters.Between(before, await NodeCounters.ReadAllAsync(redis));
        var ingestCpu = Subtract(ProcessCpu(fleet), cpuBefore);

        // ---- Queries: through the query-request stream(s) and the query worker, a few in flight ----
        before = await NodeCounters.ReadAllAsync(redis);
        cpuBefore = ProcessCpu(fleet);
        var latencies = new double[work.Queries.Count];
        var empty = 0;
        var next = -1;
        clock.Restart();
        await Task.WhenAll(Enumerable.Range(0, work.Concurrency).Select(async _ =>
        {
            for (var q = Interlocked.Increment(ref next); q < latencies.Length; q = Interlocked.Increment(ref next))
            {
                var start = Stopwatch.GetTimestamp();
                var reply = await client.QueryAsync(work.Queries[q], new QueryOptions { K = K, Timeout = TimeSpan.FromSeconds(30) });
                latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (reply.Results.Count == 0)
                {
                    Interlocked.Increment(ref empty);
                }
            }
        }));
        var querySeconds = clock.Elapsed.TotalSeconds;
        await WaitAcknowledgedAsync(db, keys.QueryRequestStreams, keys.QueryGroup);
        var queryNodes = NodeCounters.Between(before, await NodeCounters.ReadAllAsync(redis));
        var queryCpu = Subtract(ProcessCpu(fleet), cpuBefore);
        fleet.EnsureRunning();
        if (empty > 0)
        {
            throw new InvalidOperationException($"{name}: {empty} of {latencies.Length} queries found nothing");
        }

        await fleet.StopWorkersAsync();
        var version = redis.GetServers()[0].Version.ToString();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name}: {work.Documents.Count / ingestSeconds:0} documents/s, {passages / ingestSeconds:0} passages/s; {latencies.Length / querySeconds:0} queries/s, p50 {Stats.Percentile(latencies, 50):0.0} ms"));
        return new Configuration(name, layout, version, shards, keys.StreamPartitions,
            new Phase(work.Documents.Count, passages, ingestSeconds, ingestNodes, ingestCpu, null),
            new Phase(latencies.Length, latencies.Length, querySeconds, queryNodes, queryCpu, latencies));
    }

    /// <summary>Until the tenant's partitions hold <paramref name="passages"/> passages (every vector set's VCARD, polled every 50 ms).</summary>
    private static async Task WaitIndexedAsync(Fleet fleet, IDatabase db, KeySchema keys, long passages)
    {
        var until = Stopwatch.GetTimestamp() + (600 * Stopwatch.Frequency);
        while (true)
        {
            var sizes = await Task.WhenAll(keys.PartitionsOf("default").Select(p => db.VectorSetLengthAsync(p.VectorSet)));
            if (sizes.Sum() >= passages)
            {
                return;
            }

            fleet.EnsureRunning();
            if (Stopwatch.GetTimestamp() > until)
            {
                throw new TimeoutException($"{sizes.Sum()} of {passages} passages indexed after 10 minutes");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Until the group has acknowledged every entry of every partition (the last settlements belong to the phase).</summary>
    private static async Task WaitAcknowledgedAsync(IDatabase db, IReadOnlyList<StreamPartition> partitions, string group)
    {
        for (var wait = 0; wait < 300; wait++)
        {
            var pending = await Task.WhenAll(partitions.Select(p => db.StreamPendingAsync(p.Stream, group)));
            if (pending.All(p => p.PendingMessageCount == 0))
            {
                return;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Processor time of each worker process and of this one (the producer and the client).</summary>
    private static Dictionary<string, double> ProcessCpu(Fleet fleet)
    {
        var cpu = fleet.WorkerCpu().ToDictionary(w => w.Name, w => w.Cpu.TotalSeconds, StringComparer.Ordinal);
        cpu["bench (producer, client)"] = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        return cpu;
    }

    private static Dictionary<string, double> Subtract(Dictionary<string, double> after, Dictionary<string, double> before) =>
        after.ToDictionary(a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key), StringComparer.Ordinal);

    private sealed record Workload(IReadOnlyList<string> Documents, IReadOnlyList<string> Warmup, IReadOnlyList<string> Queries, int Concurrency);
}

/// <summary>One measured phase: its units (documents or queries), how long it took, and what it cost every node and process.</summary>
/// <param name="Passages">Passages indexed (ingestion), or the queries again.</param>
/// <param name="LatenciesMs">Each query's latency (query phase only).</param>
internal sealed record Phase(int Units, long Passages, double Seconds, IReadOnlyList<NodeCounters> Nodes, IReadOnlyDictionary<string, double> ProcessCpuSeconds, IReadOnlyList<double>? LatenciesMs)
{
    public double UnitsPerSecond => Units / Seconds;

    public IEnumerable<NodeCounters> Masters => Nodes.Where(n => !n.IsReplica);
}

/// <summary>One Redis deployment the fleet ran on, with its ingestion and query phases.</summary>
internal sealed record Configuration(string Name, string Layout, string RedisVersion, int Shards, int StreamPartitions, Phase Ingestion, Phase Queries);
