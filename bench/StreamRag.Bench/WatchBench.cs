using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>
/// <c>./bench.sh --watch</c>: standing queries on ingestion, one embedder and one query worker on one
/// Redis, hashing embedder (so Redis and the fleet are measured, not a model). Watches are the
/// synthetic corpus's query texts, registered through the request stream (with their vectors); the
/// threshold is picked so that a passage matches about one or two of 10,000 watches. Figures:
/// notification latency (event XADD → notification XADD, from the two stream ids) at 200 events/s
/// with 1,000 and 10,000 watches; ingestion throughput with 10,000 watches vs none; recall of the
/// notifications against exact similarity (every passage-watch pair scoring ≥ threshold + 0.02).
/// </summary>
internal static class WatchBench
{
    private const int Dimensions = 384;
    private const string Prefix = "bench";
    private const int ThroughputRounds = 4;

    public static async Task<int> RunAsync(string root, string[] args)
    {
        var smoke = args.Contains("--smoke");
        var watchCounts = smoke ? new[] { 100, 1_000 } : [1_000, 10_000];
        var rate = 200;
        var latencySeconds = smoke ? 2 : 10;
        var throughputDocs = smoke ? 600 : 6_000;
        var latencyDocs = rate * latencySeconds;
        var totalDocs = (latencyDocs * watchCounts.Length) + (2 * throughputDocs);
        Console.WriteLine($"Watch benchmark: {string.Join(" and ", watchCounts.Select(c => c.ToString("N0", CultureInfo.InvariantCulture)))} watches, {rate} events/s for {latencySeconds} s, {throughputDocs:N0} documents per throughput side in {ThroughputRounds} alternating rounds, hashing embedder; {Environment.ProcessorCount} cores");
        var corpus = SyntheticCorpus.Generate(totalDocs, watchCounts.Max(), Dimensions);
        var threshold = PickThreshold(corpus, watchCounts.Max());
        Console.WriteLine($"  threshold {threshold:0.000} (about 1.5 matches per passage among {watchCounts.Max():N0} watches)");

        await using var fleet = await Fleet.StartRedisAsync(root);
        // Admin: INFO cpu, for the processor time Redis spends per passage.
        using var redis = await ConnectionMultiplexer.ConnectAsync(fleet.Configuration + ",allowAdmin=true");
        var db = redis.GetDatabase();
        var keys = new KeySchema(Prefix, 1);
        var settings = new Dictionary<string, string>
        {
            ["Redis:KeyPrefix"] = Prefix,
            ["Embedding:Provider"] = "hashing",
            ["Index:Engine"] = "vectorset",
            ["Consumer:ClaimInterval"] = "00:00:01",
            ["Metrics:PrometheusPort"] = "0",
            // Every notification kept, so recall can be counted from the streams.
            ["Watch:NotifyMaxLength"] = "10000000",
        };
        fleet.StartWorker("Embedder", settings);
        fleet.StartWorker("Query", settings);
        await FleetPresence.WaitForLiveConsumerAsync(db, keys.DocumentEvents, keys.EmbedderGroup, "embedder", TimeSpan.FromSeconds(60), TimeProvider.System, CancellationToken.None);
        await FleetPresence.WaitForLiveConsumerAsync(db, keys.QueryRequests, keys.QueryGroup, "query worker", TimeSpan.FromSeconds(60), TimeProvider.System, CancellationToken.None);

        // Warm-up (JIT, connections, first graph), not measured: one second of events into a tenant of their own.
        var warmup = SyntheticCorpus.Generate(rate, 1, Dimensions, seed: 7);
        await PostPacedAsync(db, keys, "warmup", warmup.Texts, 0, rate, rate);
        await WaitIndexedAsync(db, keys, "warmup", rate, fleet);

        var next = 0;
        var latencies = new List<(int Watches, double P50, double P99, int Notifications)>();
        var watchIds = Array.Empty<string>();
        foreach (var count in watchCounts)
        {
            var tenant = $"w{count}";
            watchIds = await RegisterAsync(db, keys, tenant, corpus.QueryVectors.Take(count).ToArray(), threshold, fleet);
            var first = next;
            next += latencyDocs;
            await PostPacedAsync(db, keys, tenant, corpus.Texts, first, latencyDocs, rate);
            await WaitIndexedAsync(db, keys, tenant, latencyDocs, fleet);
            var ms = await LatenciesAsync(db, keys, tenant);
            latencies.Add((count, Stats.Percentile(ms, 50), Stats.Percentile(ms, 99), ms.Count));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {count:N0} watches: {ms.Count:N0} notifications, latency p50 {latencies[^1].P50:0.0} ms, p99 {latencies[^1].P99:0.0} ms"));
        }

        // Throughput: the same number of documents into a tenant without watches and into the one with the
        // most, each index holding as many passages before (a larger graph costs each write more), in
        // alternating rounds so a burst of noise on this shared machine does not land on one side only; which
        // side goes first alternates too (the first of a pair measured faster, round after round).
        await IngestAsync(db, keys, "none", corpus.Texts, 0, latencyDocs, 0, fleet);
        var most = $"w{watchCounts.Max()}";
        var throughputFirst = next;
        var rounds = new List<(IngestRun None, IngestRun Watches)>();
        for (var round = 0; round < ThroughputRounds; round++)
        {
            var perRound = throughputDocs / ThroughputRounds;
            var already = latencyDocs + (round * perRound);
            var (noneFirst, watchesFirst) = (next, next + perRound);
            next += 2 * perRound;
            IngestRun noneRun, watchesRun;
            if (round % 2 == 0)
            {
                noneRun = await IngestAsync(db, keys, "none", corpus.Texts, noneFirst, perRound, already, fleet);
                watchesRun = await IngestAsync(db, keys, most, corpus.Texts, watchesFirst, perRound, already, fleet);
            }
            else
            {
                watchesRun = await IngestAsync(db, keys, most, corpus.Texts, watchesFirst, perRound, already, fleet);
                noneRun = await IngestAsync(db, keys, "none", corpus.Texts, noneFirst, perRound, already, fleet);
            }

            rounds.Add((noneRun, watchesRun));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1}: {noneRun.PerSecond:0} passages/s without watches (Redis {noneRun.RedisCpuUs:0} µs, its main thread {noneRun.RedisMainCpuUs:0}, VADD {noneRun.VaddUs:0}, embedder {noneRun.EmbedderCpuUs:0} µs per passage), {watchesRun.PerSecond:0} with (Redis {watchesRun.RedisCpuUs:0} µs, its main thread {watchesRun.RedisMainCpuUs:0}, VADD {watchesRun.VaddUs:0}, VSIM {watchesRun.VsimUs:0}, embedder {watchesRun.EmbedderCpuUs:0} µs)"));
        }

        var none = Overall(rounds.Select(r => r.None));
        var withWatches = Overall(rounds.Select(r => r.Watches));
        var mostFirst = latencyDocs * (watchCounts.Length - 1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ingestion: {none.PerSecond:0} passages/s without watches, {withWatches.PerSecond:0} with {watchCounts.Max():N0}; processor time per passage: Redis {none.RedisCpuUs:0} µs without, {withWatches.RedisCpuUs:0} µs with; embedder {none.EmbedderCpuUs:0} µs without, {withWatches.EmbedderCpuUs:0} µs with"));

        // Recall over every passage the tenant with the most watches received (its latency and throughput runs).
        var perRoundDocs = throughputDocs / ThroughputRounds;
        var passages = Enumerable.Range(mostFirst, latencyDocs)
            .Concat(Enumerable.Range(0, ThroughputRounds).SelectMany(r => Enumerable.Range(throughputFirst + (((2 * r) + 1) * perRoundDocs), perRoundDocs))).ToArray();
        var (recall, expected, belowThreshold, belowMargin) = await RecallAsync(db, keys, most, corpus, passages, watchIds, threshold);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  recall {recall:0.0000} of {expected:N0} pairs at ≥ threshold + 0.02; {belowThreshold} notifications below the threshold by exact score, {belowMargin} by more than 0.02"));

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"StreamRag watch benchmark — hashing embedder, 1 embedder, 1 query worker, Redis {redis.GetServers()[0].Version}; {Environment.ProcessorCount} cores; threshold {threshold:0.000}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        table.AppendLine();
        table.AppendLine("| figure | measured | target | met |");
        table.AppendLine("|---|---:|---:|---|");
        foreach (var (watches, p50, p99, notifications) in latencies)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| notification latency p50, {watches:N0} watches, {rate} events/s ({notifications:N0} notifications) | {p50:0.0} ms | | |");
            table.AppendLine(CultureInfo.InvariantCulture, $"| notification latency p99, {watches:N0} watches, {rate} events/s | {p99:0.0} ms | ≤ 100 ms | {(p99 <= 100 ? "yes" : "no")} |");
        }

        var ratio = withWatches.PerSecond / none.PerSecond;
        table.AppendLine(CultureInfo.InvariantCulture, $"| ingestion, {watchCounts.Max():N0} watches vs none ({withWatches.PerSecond:0} vs {none.PerSecond:0} passages/s) | {ratio:0.00}× | ≥ 0.9× | {(ratio >= 0.9 ? "yes" : "no")} |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| processor time per passage, Redis: with {watchCounts.Max():N0} watches vs none | {withWatches.RedisCpuUs:0} vs {none.RedisCpuUs:0} µs | | |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| processor time per passage, Redis's main thread: with {watchCounts.Max():N0} watches vs none | {withWatches.RedisMainCpuUs:0} vs {none.RedisMainCpuUs:0} µs | | |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| … of which in the index's VADD, and in the match's VSIM (INFO commandstats) | {withWatches.VaddUs:0} and {withWatches.VsimUs:0} vs {none.VaddUs:0} and – µs | | |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| processor time per passage, embedder: with {watchCounts.Max():N0} watches vs none | {withWatches.EmbedderCpuUs:0} vs {none.EmbedderCpuUs:0} µs | | |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| recall vs exact similarity ≥ threshold + 0.02 ({expected:N0} pairs, {passages.Length:N0} passages × {watchCounts.Max():N0} watches) | {recall:0.0000} | ≥ 0.99 | {(recall >= 0.99 ? "yes" : "no")} |");
        table.AppendLine(CultureInfo.InvariantCulture, $"| notifications whose exact score is below the threshold (Q8 scores err a little) / by more than 0.02 | {belowThreshold} / {belowMargin} | – / 0 | {(belowMargin == 0 ? "yes" : "no")} |");
        ResultFiles.Write(Path.Combine(root, "bench-results"), smoke ? "watch-smoke" : "watch", table.ToString(),
            new { threshold, rate, latencies = latencies.Select(l => new { l.Watches, l.P50, l.P99, l.Notifications }), none, withWatches, ratio, recall, expected, belowThreshold, belowMargin });
        await fleet.StopWorkersAsync();
        return 0;
    }

    /// <summary>The score that about 1.5 of <paramref name="watches"/> watches reach per passage, from a sample, rounded down to 0.005.</summary>
    private static double PickThreshold(SyntheticCorpus corpus, int watches)
    {
        var scores = new List<double>();
        for (var d = 0; d < Math.Min(300, corpus.Vectors.Length); d++)
        {
            for (var w = 0; w < watches; w++)
            {
                scores.Add((1 + TensorPrimitives.Dot(corpus.Vectors[d], corpus.QueryVectors[w])) / 2);
            }
        }

        var quantile = Stats.Percentile(scores, 100 * (1 - (1.5 / watches)));
        return Math.Floor(quantile * 200) / 200;
    }

    /// <returns>The watch ids, in the order of <paramref name="vectors"/> (derived from the request as the query worker does).</returns>
    private static async Task<string[]> RegisterAsync(IDatabase db, KeySchema keys, string tenant, float[][] vectors, double threshold, Fleet fleet)
    {
        var ids = new string[vectors.Length];
        for (var start = 0; start < vectors.Length; start += 1000)
        {
            var batch = db.CreateBatch();
            var adds = Enumerable.Range(start, Math.Min(1000, vectors.Length - start)).Select(i => batch.StreamAddAsync(keys.QueryRequests,
            [
                new(QueryRequestFields.RequestId, $"{tenant}-{i}"), new(QueryRequestFields.Mode, "watch"), new(QueryRequestFields.Tenant, tenant),
                new(QueryRequestFields.Vector, MemoryMarshal.AsBytes(vectors[i].AsSpan()).ToArray()),
                new(QueryRequestFields.Threshold, threshold.ToString("R", CultureInfo.InvariantCulture)), new(QueryRequestFields.WatchTtl, 3600),
                new(QueryRequestFields.NotifyTo, $"{keys.WatchStreamPrefix}{tenant}"), new(QueryRequestFields.ReplyTo, $"{Prefix}:reply:bench"),
            ])).ToArray();
            batch.Execute();
            var entryIds = await Task.WhenAll(adds);
            for (var j = 0; j < entryIds.Length; j++)
            {
                ids[start + j] = WatchStore.IdOf(tenant, $"{tenant}-{start + j}", entryIds[j]!);
            }
        }

        while (await db.SortedSetLengthAsync(keys.WatchExpiry(tenant)) < vectors.Length)
        {
            fleet.EnsureRunning();
            await Task.Delay(50);
        }

        return ids;
    }

    private static NameValueEntry[] Event(string tenant, int i, string text) =>
        [new("id", $"d{i}"), new("version", 1), new("tenant", tenant), new("source", SyntheticCorpus.Source(i)), new("content", text)];

    /// <summary>Posts the documents at a steady <paramref name="rate"/> per second (each one when its time comes).</summary>
    private static async Task PostPacedAsync(IDatabase db, KeySchema keys, string tenant, string[] texts, int first, int n, int rate)
    {
        var clock = Stopwatch.StartNew();
        var posted = 0;
        var pending = new List<Task>();
        while (posted < n)
        {
            var due = Math.Min(n, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; posted < due; posted++)
            {
                pending.Add(db.StreamAddAsync(keys.DocumentEvents, Event(tenant, first + posted, texts[first + posted])));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(pending);
    }

    private static async Task WaitIndexedAsync(IDatabase db, KeySchema keys, string tenant, long n, Fleet fleet)
    {
        var vset = keys.Partition(tenant, 0).VectorSet;
        while (await db.VectorSetLengthAsync(vset) < n)
        {
            fleet.EnsureRunning();
            await Task.Delay(20);
        }
    }

    /// <summary>Per notification: its stream id's time minus its event's stream id's time (both Redis's clock, milliseconds).</summary>
    private static async Task<List<double>> LatenciesAsync(IDatabase db, KeySchema keys, string tenant)
    {
        var entries = await db.StreamRangeAsync($"{keys.WatchStreamPrefix}{tenant}");
        return entries.Select(e => (double)(TimeOf(e.Id!) - TimeOf((string)e[WatchNotificationFields.EventId]!))).ToList();
    }

    private static long TimeOf(string id) => long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);

    /// <summary>One throughput run: passages per second, and the processor time Redis and the embedder spent per passage.</summary>
    /// <param name="RedisMainCpuUs">Of <paramref name="RedisCpuUs"/>, Redis's main thread: the one that bounds ingestion where Redis has cores to spare.</param>
    /// <param name="VaddUs">Redis's time in VADD per passage (INFO commandstats; the index write's own cost).</param>
    /// <param name="VsimUs">Redis's time in VSIM per passage (the match).</param>
    private sealed record IngestRun(double PerSecond, double RedisCpuUs, double RedisMainCpuUs, double EmbedderCpuUs, double VaddUs, double VsimUs);

    /// <summary>Passages per second from the first XADD to the last passage in the vector set (pipelined producer).</summary>
    /// <param name="already">Passages the tenant's vector set holds before.</param>
    private static async Task<IngestRun> IngestAsync(IDatabase db, KeySchema keys, string tenant, string[] texts, int first, int n, long already, Fleet fleet)
    {
        var before = await NodeCounters.ReadAllAsync(db.Multiplexer);
        var embedderBefore = EmbedderCpu(fleet);
        var clock = Stopwatch.StartNew();
        for (var start = first; start < first + n; start += 1000)
        {
            var batch = db.CreateBatch();
            var adds = Enumerable.Range(start, Math.Min(1000, first + n - start)).Select(i => batch.StreamAddAsync(keys.DocumentEvents, Event(tenant, i, texts[i]))).ToArray();
            batch.Execute();
            await Task.WhenAll(adds);
        }

        await WaitIndexedAsync(db, keys, tenant, already + n, fleet);
        var elapsed = clock.Elapsed;
        var spent = NodeCounters.Between(before, await NodeCounters.ReadAllAsync(db.Multiplexer)).Single();
        var embedderCpu = EmbedderCpu(fleet) - embedderBefore;
        double PerPassage(string command) => spent.Microseconds.GetValueOrDefault(command) / (double)n;
        return new IngestRun(n / elapsed.TotalSeconds, spent.CpuSeconds * 1e6 / n, spent.MainThreadCpuSeconds * 1e6 / n,
            embedderCpu.TotalMicroseconds / n, PerPassage("VADD"), PerPassage("VSIM"));
    }

    /// <summary>One side's rounds together (each round the same number of passages): all passages over all the time, mean processor times.</summary>
    private static IngestRun Overall(IEnumerable<IngestRun> runs)
    {
        var all = runs.ToArray();
        return new IngestRun(all.Length / all.Sum(r => 1 / r.PerSecond), all.Average(r => r.RedisCpuUs), all.Average(r => r.RedisMainCpuUs),
            all.Average(r => r.EmbedderCpuUs), all.Average(r => r.VaddUs), all.Average(r => r.VsimUs));
    }

    private static TimeSpan EmbedderCpu(Fleet fleet) => fleet.WorkerCpu().Where(w => w.Name == "Embedder").Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Cpu);

    private static async Task<(double Recall, int Expected, int Below, int BelowMargin)> RecallAsync(IDatabase db, KeySchema keys, string tenant, SyntheticCorpus corpus, int[] passages, string[] watchIds, double threshold)
    {
        var notified = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in await db.StreamRangeAsync($"{keys.WatchStreamPrefix}{tenant}"))
        {
            notified.Add($"{e[WatchNotificationFields.WatchId]}|{e[WatchNotificationFields.DocumentId]}");
        }

        int expected = 0, found = 0, below = 0, belowMargin = 0;
        foreach (var d in passages)
        {
            for (var w = 0; w < watchIds.Length; w++)
            {
                var score = (1 + TensorPrimitives.Dot(corpus.Vectors[d], corpus.QueryVectors[w])) / 2;
                var key = $"{watchIds[w]}|d{d}";
                if (score >= threshold + 0.02)
                {
                    expected++;
                    found += notified.Contains(key) ? 1 : 0;
                }
                else if (score < threshold - 1e-6 && notified.Contains(key))
                {
                    below++;
                    belowMargin += score < threshold - 0.02 ? 1 : 0;
                }
            }
        }

        return (expected == 0 ? 1 : (double)found / expected, expected, below, belowMargin);
    }
}
