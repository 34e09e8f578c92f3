using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Embedding;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>
/// One Redis deployment of <see cref="ClusterBench"/> with its fleet (one embedder, one query worker,
/// hashing embedder) and a client, measured in rounds: each round's cost on every node and every
/// process is added to its phase, so rounds of two deployments can take turns on the same cores.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    public const int K = 10;

    private readonly Fleet fleet;
    private readonly ConnectionMultiplexer redis;
    private readonly KeySchema keys;
    private readonly StreamRagClient client;
    private readonly TextChunker chunker;
    private readonly Accumulator ingestion = new();
    private readonly Accumulator queries = new();
    private readonly List<double> latencies = [];
    private Dictionary<string, (double Commands, double Cpu)> idlePerSecond = [];
    private long indexed;

    private Deployment(string name, string layout, Fleet fleet, ConnectionMultiplexer redis, KeySchema keys, TextChunker chunker)
    {
        (Name, Layout, this.fleet, this.redis, this.keys, this.chunker) = (name, layout, fleet, redis, keys, chunker);
        client = new StreamRagClient(redis, keys);
    }

    public string Name { get; }

    public string Layout { get; }

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Starts the fleet on <paramref name="fleet"/>'s Redis (which it then owns) and warms it up: <paramref name="warmup"/> documents, 20 queries.</summary>
    public static async Task<Deployment> StartAsync(string name, string layout, Fleet fleet, int shards, TextChunker chunker, int chunkWords, IReadOnlyList<string> warmup, IReadOnlyList<string> queries)
    {
        var options = ConfigurationOptions.Parse(fleet.Configuration);
        options.AllowAdmin = true;
        ConnectionMultiplexer redis;
        try
        {
            redis = await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }

        var keys = new KeySchema("bench", shards, shards);
        var deployment = new Deployment(name, layout, fleet, redis, keys, chunker);
        try
        {
            var settings = new Dictionary<string, string>
            {
                ["Redis:KeyPrefix"] = keys.Prefix,
                ["Redis:Shards"] = shards.ToString(CultureInfo.InvariantCulture),
                ["Streams:Partitions"] = keys.StreamPartitions.ToString(CultureInfo.InvariantCulture),
                // The figure is Redis and the fleet, not a model: the hashing embedder costs microseconds.
                ["Embedding:Provider"] = "hashing",
                ["Chunking:Size"] = chunkWords.ToString(CultureInfo.InvariantCulture),
                ["Chunking:Overlap"] = "0",
                ["Index:Engine"] = "vectorset",
                ["Query:CacheEntries"] = "0",
                ["Query:RecallSampleRate"] = "0",
                ["Consumer:ClaimInterval"] = "00:00:01",
                ["Metrics:PrometheusPort"] = "0",
            };
            fleet.StartWorker("Embedder", settings);
            fleet.StartWorker("Query", settings);
            var db = redis.GetDatabase();
            var presence = TimeSpan.FromSeconds(60);
            foreach (var partition in keys.DocumentEventStreams)
            {
                await FleetPresence.WaitForLiveConsumerAsync(db, partition.Stream, keys.EmbedderGroup, "embedder", presence, TimeProvider.System, CancellationToken.None);
            }

            foreach (var partition in keys.QueryRequestStreams)
            {
                await FleetPresence.WaitForLiveConsumerAsync(db, partition.Stream, keys.QueryGroup, "query worker", presence, TimeProvider.System, CancellationToken.None);
            }

            // Warm-up (JIT, connections, the vector sets' first nodes): not measured.
            deployment.indexed = warmup.Sum(t => (long)chunker.Split(t).Count);
            await Producer.PostAsync(db, keys, warmup, warmup.Count, "w");
            await deployment.WaitIndexedAsync();
            for (var i = 0; i < 20; i++)
            {
                await deployment.client.QueryAsync(queries[i % queries.Count], new QueryOptions { K = K });
            }

            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>What every node does per second with the fleet running and nothing to do (subtracted from each phase).</summary>
    public async Task MeasureIdleAsync(TimeSpan duration)
    {
        var before = await NodeCounters.ReadAllAsync(redis);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        var idle = NodeCounters.Between(before, await NodeCounters.ReadAllAsync(redis));
        var seconds = clock.Elapsed.TotalSeconds;
        idlePerSecond = idle.ToDictionary(n => n.Node, n => (n.Commands / seconds, n.CpuSeconds / seconds), StringComparer.Ordinal);
    }

    /// <summary>Documents <paramref name="first"/>… of <paramref name="documents"/>: posted, then until every passage is indexed and every event acknowledged.</summary>
    public Task IngestAsync(IReadOnlyList<string> documents, int first, int count) =>
        ingestion.MeasureAsync(this, count, async () =>
        {
            var passages = Enumerable.Range(first, count).Sum(i => (long)chunker.Split(documents[i]).Count);
            var clock = Stopwatch.StartNew();
            await Producer.PostAsync(Db, keys, documents, count, "d", first);
            indexed += passages;
            await WaitIndexedAsync();
            var seconds = clock.Elapsed.TotalSeconds;
            await WaitAcknowledgedAsync(keys.DocumentEventStreams, keys.EmbedderGroup);
            return (seconds, passages);
        });

    /// <summary>Queries <paramref name="first"/>… through the query-request stream(s) and the query worker, <paramref name="concurrency"/> in flight.</summary>
    public Task QueryAsync(IReadOnlyList<string> texts, int first, int count, int concurrency) =>
        queries.MeasureAsync(this, count, async () =>
        {
            var round = new double[count];
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                for (var q = Interlocked.Increment(ref next); q < count; q = Interlocked.Increment(ref next))
                {
                    var start = Stopwatch.GetTimestamp();
                    var reply = await client.QueryAsync(texts[first + q], new QueryOptions { K = K, Timeout = TimeSpan.FromSeconds(30) });
                    round[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if (reply.Results.Count == 0)
                    {
                        throw new InvalidOperationException($"{Name}: query {first + q} found nothing");
                    }
                }
            }));
            var seconds = clock.Elapsed.TotalSeconds;
            await WaitAcknowledgedAsync(keys.QueryRequestStreams, keys.QueryGroup);
            latencies.AddRange(round);
            return (seconds, count);
        });

    public Configuration Result() => new(Name, Layout, redis.GetServers()[0].Version.ToString(), keys.Shards, keys.StreamPartitions,
        ingestion.Phase(idlePerSecond, null), queries.Phase(idlePerSecond, latencies));

    public async ValueTask DisposeAsync()
    {
        await client.DisposeAsync();
        await fleet.DisposeAsync();
        await redis.DisposeAsync();
    }

    /// <summary>Until the tenant's partitions hold every passage posted (every vector set's VCARD, polled every 20 ms: these polls are counted among the commands).</summary>
    private async Task WaitIndexedAsync()
    {
        var until = Stopwatch.GetTimestamp() + (600 * Stopwatch.Frequency);
        while (true)
        {
            var sizes = await Task.WhenAll(keys.PartitionsOf("default").Select(p => Db.VectorSetLengthAsync(p.VectorSet)));
            if (sizes.Sum() >= indexed)
            {
                return;
            }

            fleet.EnsureRunning();
            if (Stopwatch.GetTimestamp() > until)
            {
                throw new TimeoutException($"{Name}: {sizes.Sum()} of {indexed} passages indexed after 10 minutes");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Until the group has acknowledged every entry of every partition (the last settlements belong to the round).</summary>
    private async Task WaitAcknowledgedAsync(IReadOnlyList<StreamPartition> partitions, string group)
    {
        for (var wait = 0; wait < 300; wait++)
        {
            var pending = await Task.WhenAll(partitions.Select(p => Db.StreamPendingAsync(p.Stream, group)));
            if (pending.All(p => p.PendingMessageCount == 0))
            {
                return;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Processor time of each worker process and of this one (the producer and the client).</summary>
    private Dictionary<string, double> ProcessCpu()
    {
        var cpu = fleet.WorkerCpu().ToDictionary(w => w.Name, w => w.Cpu.TotalSeconds, StringComparer.Ordinal);
        cpu["bench (producer, client)"] = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        return cpu;
    }

    /// <summary>The sums of one phase over its rounds.</summary>
    private sealed class Accumulator
    {
        private readonly Dictionary<string, double> processCpu = new(StringComparer.Ordinal);
        private Dictionary<string, NodeCounters> nodes = [];
        private int units;
        private long passages;
        private double seconds;
        private double measuredSeconds;

        /// <summary>Runs one round; <paramref name="round"/> returns its throughput time and passages.</summary>
        public async Task MeasureAsync(Deployment on, int count, Func<Task<(double Seconds, long Passages)>> round)
        {
            var before = await NodeCounters.ReadAllAsync(on.redis);
            var cpuBefore = on.ProcessCpu();
            var clock = Stopwatch.StartNew();
            var (roundSeconds, roundPassages) = await round();
            var after = await NodeCounters.ReadAllAsync(on.redis);
            measuredSeconds += clock.Elapsed.TotalSeconds;
            foreach (var (name, cpu) in on.ProcessCpu())
            {
                processCpu[name] = processCpu.GetValueOrDefault(name) + cpu - cpuBefore.GetValueOrDefault(name);
            }

            nodes = NodeCounters.Between(before, after).ToDictionary(n => n.Node, n => nodes.TryGetValue(n.Node, out var sum) ? sum.Plus(n) : n, StringComparer.Ordinal);
            on.fleet.EnsureRunning();
            (units, passages, seconds) = (units + count, passages + roundPassages, seconds + roundSeconds);
        }

        /// <summary>
        /// The phase's sums, each node's idle rate over the rounds' time subtracted. The processes'
        /// CPU is left whole: their idle rate right after the warm-up (background JIT, collections)
        /// was no measure of their idle rate later.
        /// </summary>
        public Phase Phase(Dictionary<string, (double Commands, double Cpu)> idlePerSecond, IReadOnlyList<double>? latencies) =>
            new(units, passages, seconds, nodes.Values
                    .Select(n => new NodeCost(n, idlePerSecond.GetValueOrDefault(n.Node).Commands * measuredSeconds, idlePerSecond.GetValueOrDefault(n.Node).Cpu * measuredSeconds))
                    .OrderBy(n => n.IsReplica).ThenBy(n => n.Node, StringComparer.Ordinal).ToArray(),
                processCpu,
                latencies);
    }
}
