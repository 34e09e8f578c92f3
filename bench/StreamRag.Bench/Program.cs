using System.Diagnostics;
using System.Globalization;
using System.Text;
using StackExchange.Redis;
using StreamRag.Bench;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Redis;

// Every headline figure of the fleet next to raw Redis doing the same work on the same data, in
// one run on one machine (so noise hits both alike). See docs/benchmarks.md.
if (args.Contains("--reachability"))
{
    // The HNSW reachability experiment behind the spam guards (docs/faults.md), not a benchmark.
    return await Reachability.RunAsync(FindRoot());
}

// `retrieval`: the retrieval-quality benchmark instead (StreamRag.Bench.Retrieval).
if (args is ["retrieval", .. var retrievalArgs])
{
    return await StreamRag.Bench.Retrieval.RetrievalBenchmark.RunAsync(FindRoot(), retrievalArgs);
}

// --watch: standing queries on ingestion: notification latency, ingestion with watches vs none, recall (WatchBench).
if (args.Contains("--watch"))
{
    return await WatchBench.RunAsync(FindRoot(), args);
}

// --cluster: the fleet on one Redis beside a 3-master cluster, with a per-node cost model (ClusterBench).
if (args.Contains("--cluster"))
{
    return await ClusterBench.RunAsync(FindRoot(), args);
}

var quick = args.Contains("--quick");
// --model: the local embedding model's speed figures alone (ModelBench); --smoke runs them too.
var modelOnly = args.Contains("--model");
// --smoke: the whole harness on a tiny load, for the test suite (figures meaningless).
var smoke = args.Contains("--smoke");
var n = smoke ? 1_000 : quick ? 10_000 : 100_000;
var nIndex = Array.IndexOf(args, "--n");
if (nIndex >= 0)
{
    n = int.Parse(args[nIndex + 1], CultureInfo.InvariantCulture);
}

if (n is < 1_000 or > 1_000_000)
{
    Console.Error.WriteLine("--n takes 1,000 to 1,000,000");
    return 2;
}

var root = FindRoot();
if (args.Contains("--cli"))
{
    // CLI ingest throughput beside the bench's own producer (CliIngestBench); default 10,000 documents.
    return await CliIngestBench.RunAsync(root, nIndex >= 0 ? n : smoke ? 1_000 : 10_000);
}

var outDir = Path.Combine(root, "bench-results");
const int Dimensions = 384;
const int K = 10;
const int Ef = 50;
var recallQueries = smoke ? 20 : 200;
var latencySamples = smoke ? 30 : quick ? 300 : 1000;
var throughputSeconds = smoke ? 1 : quick ? 3 : 8;
var freshnessSeconds = smoke ? 1 : quick ? 5 : 10;
var figures = new List<Figure>();
void Report(Figure f)
{
    figures.Add(f);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {f.Name}: fleet {f.Fleet:0.###} {f.Unit}{(f.Raw is { } r ? $", raw {r:0.###}, ratio {f.Ratio:0.00}" : "")}"));
}

if (modelOnly)
{
    await using var modelFleet = await Fleet.StartRedisAsync(root);
    using var modelRedis = await ConnectionMultiplexer.ConnectAsync(modelFleet.Configuration);
    var modelServer = modelRedis.GetServers()[0];
    figures.AddRange(await ModelFiguresAsync(modelFleet));
    WriteResults(modelServer.Version.ToString(), quick ? "model-quick" : "model");
    return 0;
}

Console.WriteLine($"StreamRag benchmark: {n:N0} documents × {Dimensions}-d, Q8, M 16, EF build 200, EF search {Ef}, k {K}; {Environment.ProcessorCount} cores");
var clock = Stopwatch.StartNew();
var corpus = SyntheticCorpus.Generate(n + (freshnessSeconds * 200), recallQueries, Dimensions);
Console.WriteLine($"Generated and embedded the corpus in {clock.Elapsed.TotalSeconds:0.0} s");

await using var fleet = await Fleet.StartRedisAsync(root);
using var redis = await ConnectionMultiplexer.ConnectAsync($"{fleet.Configuration},allowAdmin=true");
var db = redis.GetDatabase();
var server = redis.GetServers()[0];
var keys = new KeySchema("bench", 1);
var fleetVset = keys.PartitionOf("default", "d0").VectorSet;
RedisKey rawVset = "raw:vset";

// ---- Ingestion and memory: raw pipelined VADD vs events through the embedder ----
Console.WriteLine("Ingestion…");
var memoryBefore = await UsedMemoryAsync();
clock.Restart();
for (var start = 0; start < n; start += 1000)
{
    var batch = Enumerable.Range(start, Math.Min(1000, n - start)).Select(i =>
    {
        var request = VectorSetAddRequest.Member($"d{i}", corpus.Vectors[i], $"{{\"source\":\"{SyntheticCorpus.Source(i)}\"}}");
        request.BuildExplorationFactor = 200;
        request.MaxConnections = 16;
        return db.VectorSetAddAsync(rawVset, request);
    }).ToArray();
    await Task.WhenAll(batch);
}

var rawIngestSeconds = clock.Elapsed.TotalSeconds;
var rawBytesPerVector = (await UsedMemoryAsync() - memoryBefore) / (double)n;

var workerSettings = new Dictionary<string, string>
{
    ["Redis:KeyPrefix"] = "bench",
    // These figures compare the fleet with raw Redis on the same vectors: the corpus is embedded
    // with the hashing embedder, so the fleet must run it too. The model's figures are --model's.
    ["Embedding:Provider"] = "hashing",
    // The raw baseline is vector sets: the fleet must run them too, whatever the server has.
    ["Index:Engine"] = "vectorset",
    ["Redis:SearchConnections"] = "16",
    ["Index:DefaultEf"] = Ef.ToString(CultureInfo.InvariantCulture),
    ["Index:EfConstruction"] = "200",
    ["Index:M"] = "16",
    ["Query:CacheEntries"] = "0",
    ["Query:RecallSampleRate"] = "0",
    ["Consumer:ClaimInterval"] = "00:00:01",
};
fleet.StartWorker("Embedder", workerSettings);
fleet.StartWorker("Query", workerSettings);
await Task.Delay(1500);

memoryBefore = await UsedMemoryAsync();
clock.Restart();
await Producer.PostAsync(db, keys, corpus.Texts, n);

while (await db.VectorSetLengthAsync(fleetVset) < n)
{
    await Task.Delay(50);
}

var fleetIngestSeconds = clock.Elapsed.TotalSeconds;
Report(new Figure("ingestion", "chunks/s", n / fleetIngestSeconds, n / rawIngestSeconds, "≥ 2 × raw"));

// The events stream is trimmed once every group acknowledged it; measure what stays.
for (var wait = 0; wait < 100 && await db.StreamLengthAsync(keys.DocumentEvents) > 1000; wait++)
{
    await Task.Delay(100);
}

Report(new Figure("memory per chunk", "bytes", (await UsedMemoryAsync() - memoryBefore) / (double)n, rawBytesPerVector, "≤ 1.2 × raw",
    "fleet includes each chunk's text and document metadata"));

// ---- Query latency, 1 client ----
Console.WriteLine("Query latency…");
await using var client = new StreamRagClient(redis, keys);
var filter = QueryFilters.None with { Sources = ["s3"] };
for (var i = 0; i < 50; i++)
{
    await client.QueryAsync(corpus.QueryTexts[i % recallQueries], new QueryOptions { K = K });
    await RawSearchAsync(db, corpus.QueryVectors[i % recallQueries], null);
}

var rawLatency = new List<double>();
var fleetLatency = new List<double>();
var rawFilteredLatency = new List<double>();
var fleetFilteredLatency = new List<double>();
var timings = new List<QueryTimings>();
var workerSearchLatency = new List<double>();
for (var i = 0; i < latencySamples; i++)
{
    var q = i % recallQueries;
    rawLatency.Add(await TimeAsync(() => RawSearchAsync(db, corpus.QueryVectors[q], null)));
    fleetLatency.Add(await TimeAsync(async () => timings.Add((await client.QueryAsync(corpus.QueryTexts[q], new QueryOptions { K = K })).Timings)));
    workerSearchLatency.Add(await TimeAsync(() => WorkerSearchAsync(db, fleetVset, corpus.QueryVectors[q])));
    if (i < latencySamples / 3)
    {
        rawFilteredLatency.Add(await TimeAsync(() => RawSearchAsync(db, corpus.QueryVectors[q], "s3")));
        fleetFilteredLatency.Add(await TimeAsync(() => client.QueryAsync(corpus.QueryTexts[q], new QueryOptions { K = K, Filters = filter })));
    }
}

foreach (var p in new[] { 50, 90, 99 })
{
    Report(new Figure($"query latency p{p}, 1 client", "ms", Stats.Percentile(fleetLatency, p), Stats.Percentile(rawLatency, p),
        p == 50 ? "≤ 1.3 × raw" : p == 99 ? "≤ 3 ms" : null));
}

// Where a query's time goes: the worker's own timings (from the replies) beside the round trip the
// client sees; the rest is the request's and the reply's trips through Redis and the wake-ups.
var inWorker = string.Create(CultureInfo.InvariantCulture,
    $"p50s: queued {Stats.Percentile(timings.Select(t => t.QueueMs ?? 0).ToList(), 50):0.###}, embed {Stats.Percentile(timings.Select(t => t.EmbedMs).ToList(), 50):0.###}, search {Stats.Percentile(timings.Select(t => t.SearchMs).ToList(), 50):0.###}, worker total {Stats.Percentile(timings.Select(t => t.TotalMs).ToList(), 50):0.###} ms");
Console.WriteLine($"    {inWorker}");
Report(new Figure("query search step p50 (in the worker)", "ms", Stats.Percentile(timings.Select(t => t.SearchMs).ToList(), 50), Stats.Percentile(rawLatency, 50), null, inWorker));
Report(new Figure("raw VSIM of the worker's search p50 (30 candidates, WITHATTRIBS, the fleet's set)", "ms", Stats.Percentile(workerSearchLatency, 50), Stats.Percentile(rawLatency, 50), null,
    "the one command a query's search now is, sent directly: what the re-rank's 30 candidates and their texts cost over raw's 10"));
Report(new Figure("filtered query latency p50 (10% source filter)", "ms", Stats.Percentile(fleetFilteredLatency, 50), Stats.Percentile(rawFilteredLatency, 50), "< raw"));
Report(new Figure("filtered query latency p99 (10% source filter)", "ms", Stats.Percentile(fleetFilteredLatency, 99), Stats.Percentile(rawFilteredLatency, 99), null));

// ---- Redis commands per query (INFO commandstats before and after a run of queries alone) ----
Console.WriteLine("Commands per query…");
var countersBefore = await NodeCounters.ReadAllAsync(redis);
for (var i = 0; i < latencySamples; i++)
{
    await client.QueryAsync(corpus.QueryTexts[i % recallQueries], new QueryOptions { K = K });
}

var perQuery = NodeCounters.Between(countersBefore, await NodeCounters.ReadAllAsync(redis)).Single();
var breakdown = string.Join(", ", perQuery.TopCommands(12).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Command} {c.Calls / (double)latencySamples:0.##}")));
Console.WriteLine($"    {breakdown}");
// The raw baseline is one VSIM; the fleet adds the request's trip (XADD, XREADGROUP, XACK), the reply's
// PUBLISH, the sampled metrics and whatever the workers do in the background meanwhile.
Report(new Figure("Redis commands per query", "commands", perQuery.Commands / (double)latencySamples, 1, null, breakdown));

// ---- Recall@10 against exact search ----
Console.WriteLine("Recall…");
var truth = corpus.QueryVectors.Select(v => corpus.ExactTopK(v, K)).ToArray();
var truthFiltered = corpus.QueryVectors.Select(v => corpus.ExactTopK(v, K, 3)).ToArray();
var rawFound = new List<int[]>();
var fleetFound = new List<int[]>();
var rawFoundFiltered = new List<int[]>();
var fleetFoundFiltered = new List<int[]>();
for (var q = 0; q < recallQueries; q++)
{
    rawFound.Add(await RawSearchAsync(db, corpus.QueryVectors[q], null));
    rawFoundFiltered.Add(await RawSearchAsync(db, corpus.QueryVectors[q], "s3"));
    fleetFound.Add(Ids(await client.QueryAsync(corpus.QueryTexts[q], new QueryOptions { K = K })));
    fleetFoundFiltered.Add(Ids(await client.QueryAsync(corpus.QueryTexts[q], new QueryOptions { K = K, Filters = filter })));
}

Report(new Figure("recall@10", "", Stats.Recall(truth, fleetFound, K), Stats.Recall(truth, rawFound, K), "= raw"));
Report(new Figure("recall@10, filtered", "", Stats.Recall(truthFiltered, fleetFoundFiltered, K), Stats.Recall(truthFiltered, rawFoundFiltered, K), "= raw"));

// ---- Throughput at 1, 4 and 16 concurrent clients ----
Console.WriteLine("Throughput…");
foreach (var clients in new[] { 1, 4, 16 })
{
    var connections = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => ConnectionMultiplexer.ConnectAsync(fleet.Configuration)));
    var raw = await ThroughputAsync(clients, throughputSeconds, (c, i) => RawSearchAsync(connections[c].GetDatabase(), corpus.QueryVectors[i % recallQueries], null));
    foreach (var connection in connections)
    {
        await connection.DisposeAsync();
    }

    var viaFleet = await ThroughputAsync(clients, throughputSeconds, (_, i) => client.QueryAsync(corpus.QueryTexts[i % recallQueries], new QueryOptions { K = K }));
    Report(new Figure($"throughput, {clients} client{(clients > 1 ? "s" : "")}", "queries/s", viaFleet, raw, clients == 16 ? "≥ 0.8 × raw" : null));
}

// ---- Freshness at a steady 200 events/s ----
Console.WriteLine("Freshness…");
var freshness = await FreshnessAsync(200, freshnessSeconds);
Report(new Figure("freshness p50 at 200 events/s", "ms", Stats.Percentile(freshness, 50), null, null, "XADD → document searchable (the upsert is atomic, so searchable = returned by a query)"));
Report(new Figure("freshness p99 at 200 events/s", "ms", Stats.Percentile(freshness, 99), null, "≤ 200 ms"));

await fleet.StopWorkersAsync();
if (smoke)
{
    figures.AddRange(await ModelFiguresAsync(fleet));
}

WriteResults(server.Version.ToString(), smoke ? "smoke" : quick ? "quick" : $"n{n}");
return 0;

// The local model's figures: 2,000 passages (quick 400, smoke 16), every intra-op thread a core.
Task<List<Figure>> ModelFiguresAsync(Fleet on)
{
    var (passages, queries) = smoke ? (16, 10) : quick ? (400, 100) : (2000, 300);
    Console.WriteLine("Local embedding model…");
    return new ModelBench(on, root, passages, queries, Environment.ProcessorCount).RunAsync();
}

// ---------------------------------------------------------------------------------------------

async Task<long> UsedMemoryAsync()
{
    await Task.Delay(200);
    var info = (await server.InfoAsync("memory")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
    return long.Parse(info["used_memory"], CultureInfo.InvariantCulture);
}

static async Task<int[]> RawSearchAsync(IDatabase db, float[] vector, string? source)
{
    var request = VectorSetSimilaritySearchRequest.ByVector(vector);
    request.Count = K;
    request.SearchExplorationFactor = Ef;
    request.WithScores = true;
    if (source is not null)
    {
        request.FilterExpression = $".source == \"{source}\"";
    }

    using var lease = await db.VectorSetSimilaritySearchAsync("raw:vset", request);
    var ids = new int[lease?.Length ?? 0];
    for (var i = 0; i < ids.Length; i++)
    {
        ids[i] = int.Parse(((string)lease!.Span[i].Member!).AsSpan(1), CultureInfo.InvariantCulture);
    }

    return ids;
}

// The worker's search as one direct command: 30 candidates (Query:LexicalCandidates, for the
// re-rank) with their attributes, on the fleet's own set, so it costs what the worker's VSIM costs.
static async Task WorkerSearchAsync(IDatabase db, RedisKey set, float[] vector)
{
    var request = VectorSetSimilaritySearchRequest.ByVector(vector);
    request.Count = 30;
    request.SearchExplorationFactor = Ef;
    request.WithScores = true;
    request.WithAttributes = true;
    using var lease = await db.VectorSetSimilaritySearchAsync(set, request);
}

static int[] Ids(QueryReply reply) => reply.Results.Select(r => int.Parse(r.Id.AsSpan(1), CultureInfo.InvariantCulture)).ToArray();

static async Task<double> TimeAsync(Func<Task> action)
{
    var start = Stopwatch.GetTimestamp();
    await action();
    return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

static async Task<double> ThroughputAsync(int clients, int seconds, Func<int, int, Task> query)
{
    var until = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
    var counts = new long[clients];
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        for (var i = c * 7; Stopwatch.GetTimestamp() < until; i++)
        {
            await query(c, i);
            counts[c]++;
        }
    }));
    return counts.Sum() / (double)seconds;
}

async Task<List<double>> FreshnessAsync(int perSecond, int seconds)
{
    var total = perSecond * seconds;
    var added = new long[total];
    var seen = new double[total];
    var outstanding = new HashSet<int>();
    var start = Stopwatch.GetTimestamp();
    var next = 0;
    while (next < total || outstanding.Count > 0)
    {
        var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * perSecond));
        for (; next < due; next++)
        {
            var i = n + next;
            added[next] = Stopwatch.GetTimestamp();
            _ = db.StreamAddAsync(keys.DocumentEvents, [new("id", $"f{next}"), new("version", 1), new("source", "fresh"), new("content", corpus.Texts[i])], flags: CommandFlags.FireAndForget);
            outstanding.Add(next);
        }

        var batch = outstanding.ToArray();
        var checks = batch.Select(j => db.KeyExistsAsync(keys.PartitionOf("default", $"f{j}").Document($"f{j}"))).ToArray();
        for (var c = 0; c < batch.Length; c++)
        {
            if (await checks[c])
            {
                seen[batch[c]] = Stopwatch.GetElapsedTime(added[batch[c]]).TotalMilliseconds;
                outstanding.Remove(batch[c]);
            }
        }

        if (Stopwatch.GetElapsedTime(start).TotalSeconds > seconds + 30)
        {
            throw new TimeoutException($"{outstanding.Count} fresh documents never became searchable");
        }

        await Task.Delay(2);
    }

    return seen.ToList();
}

void WriteResults(string redisVersion, string name)
{
    var load = File.Exists("/proc/loadavg") ? $", load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))} at the end" : "";
    var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, Redis {redisVersion}{load}";
    var table = new StringBuilder();
    var title = modelOnly
        ? $"StreamRag benchmark, local embedding model ({StreamRag.Embedding.LocalModelSpec.Default.Name}) — {machine}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"
        : $"StreamRag benchmark — {n:N0} documents × {Dimensions}-d (Q8, M 16, EF build 200, EF {Ef}, k {K}); {machine}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
    table.AppendLine(title);
    table.AppendLine();
    // The baseline is raw Redis on the same data, or for the model's figures what each note says.
    table.AppendLine("| figure | fleet | baseline | ratio | target | note |");
    table.AppendLine("|---|---:|---:|---:|---|---|");
    foreach (var f in figures)
    {
        table.AppendLine(CultureInfo.InvariantCulture,
            $"| {f.Name} | {f.Fleet:0.###} {f.Unit} | {(f.Raw is { } r ? r.ToString("0.###", CultureInfo.InvariantCulture) + " " + f.Unit : "—")} | {(f.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "—")} | {f.Target ?? ""} | {f.Note ?? ""} |");
    }

    ResultFiles.Write(outDir, name, table.ToString(), new
    {
        documents = n,
        dimensions = Dimensions,
        machine,
        utc = DateTime.UtcNow,
        figures = figures.Select(f => new { f.Name, f.Unit, f.Fleet, f.Raw, f.Ratio, f.Target, f.Note }),
    });
}

static string FindRoot()
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
