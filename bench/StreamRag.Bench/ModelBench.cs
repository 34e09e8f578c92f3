using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Embedding;
using StreamRag.Embedding.Local;
using StreamRag.Redis;

namespace StreamRag.Bench;

/// <summary>
/// The local model's speed figures, each against a baseline measured in the same run on the same
/// passages: the raw model (inference in this process, same model and threads) for ingestion and
/// query embedding, raw VSIM for search, one embedder process for two, float32 weights for int8.
/// The fleet runs at the default precision (<see cref="LocalEmbeddingOptions.Precision"/>), and so
/// does the raw model it is measured against.
/// </summary>
internal sealed class ModelBench(Fleet fleet, string root, int passages, int queries, int threads)
{
    private const int K = 10;
    private const int Ef = 100;
    private static readonly LocalModelSpec Spec = LocalModelSpec.Default;
    private static readonly string DefaultPrecision = new LocalEmbeddingOptions().Precision;

    public async Task<List<Figure>> RunAsync()
    {
        var figures = new List<Figure>();
        var texts = Passages(root, passages);
        using var models = new LocalEmbeddingModels();
        var float32 = new LocalEmbeddingGenerator(models.Get(Spec, Options(threads, LocalEmbeddingOptions.Float32Precision)));
        var int8 = new LocalEmbeddingGenerator(models.Get(Spec, Options(threads, LocalEmbeddingOptions.Int8Precision)));
        var generator = DefaultPrecision == LocalEmbeddingOptions.Int8Precision ? int8 : float32;
        var model = generator.GetService<LocalEmbeddingModel>()!;
        Console.WriteLine($"Model: {Spec.Name} ({DefaultPrecision} by default), {threads} intra-op threads, {texts.Length} passages of {texts.Average(model.CountTokens):0} tokens on average");

        // ---- int8 beside float32: same passages, same threads, taken in turns so load elsewhere hits both alike ----
        figures.AddRange(await PrecisionsAsync(float32, int8, texts));

        // ---- Raw inference: batching must be a win ----
        await generator.GenerateAsync(texts.Take(8));
        var batch1 = await RawPassagesPerSecondAsync(generator, texts.Take(Math.Min(texts.Length, 64)).ToArray(), 1);
        var batch32 = await RawPassagesPerSecondAsync(generator, texts.Take(Math.Min(texts.Length, 256)).ToArray(), 32);
        figures.Add(new Figure("raw model inference, batch 32 vs batch 1", "passages/s", batch32, batch1, "> 1", "per-passage speed of a batch of 32 over one at a time"));

        // ---- What a second core gives this work: the ceiling for two embedders over one ----
        if (threads > 1)
        {
            var oneThread = new LocalEmbeddingGenerator(models.Get(Spec, Options(1, DefaultPrecision)));
            await oneThread.GenerateAsync(texts.Take(8));
            var (oneThreadRate, allThreadsRate) = (0.0, 0.0);
            for (var round = 0; round < 2; round++)
            {
                oneThreadRate = Math.Max(oneThreadRate, await RawPassagesPerSecondAsync(oneThread, texts, 256));
                allThreadsRate = Math.Max(allThreadsRate, await RawPassagesPerSecondAsync(generator, texts, 256));
            }

            figures.Add(new Figure($"raw model inference, {threads} threads vs 1", "passages/s", allThreadsRate, oneThreadRate, null,
                "the parallel capacity of this machine for the model's vector arithmetic (best of 2 rounds each, in turns): "
                + "two embedders of one thread each cannot beat it"));
        }

        // ---- Fleet ingestion vs raw inference, in turns (best of two rounds each), so a burst of
        // load elsewhere on this shared machine does not fall on one side only ----
        Console.WriteLine("Ingestion through the embedder…");
        var (one, raw) = (0.0, 0.0);
        for (var round = 0; round < 2; round++)
        {
            raw = Math.Max(raw, await RawPassagesPerSecondAsync(generator, texts, 256));
            one = Math.Max(one, await IngestAsync($"bm1r{round}", texts, embedders: 1, threads));
        }

        figures.Add(new Figure("model ingestion, 1 embedder", "chunks/s", one, raw, "≥ 0.95 × raw",
            $"baseline: raw {DefaultPrecision} inference of the same passages in batches of 256, {threads} threads; best of 2 rounds each, in turns"));

        // ---- Two embedders sharing the group vs one: one thread each, so two use both cores ----
        Console.WriteLine("One vs two embedders…");
        var (single, pair) = (0.0, 0.0);
        for (var round = 0; round < 2; round++)
        {
            single = Math.Max(single, await IngestAsync($"bm2r{round}", texts, embedders: 1, threads: 1));
            pair = Math.Max(pair, await IngestAsync($"bm3r{round}", texts, embedders: 2, threads: 1));
        }

        figures.Add(new Figure("model ingestion, 2 embedders vs 1", "chunks/s", pair, single, "≥ 1.6 ×",
            "1 intra-op thread per embedder process; baseline: 1 such embedder; best of 2 rounds each, in turns"));

        // ---- Query latency vs its parts ----
        Console.WriteLine("Query latency…");
        figures.AddRange(await QueryLatencyAsync("bm1r0", generator, texts));
        return figures;
    }

    private static LocalEmbeddingOptions Options(int threads, string precision) => new() { IntraOpThreads = threads, Precision = precision };

    /// <summary>
    /// Raw inference (passages/s, batches of 256) and query embedding p50 of the int8 model against
    /// float32's. Each figure is taken in turns, float32 then int8, three rounds for inference and
    /// one query each per turn, and the best round of each is kept, so a burst of load elsewhere
    /// does not fall on one precision only.
    /// </summary>
    private async Task<Figure[]> PrecisionsAsync(LocalEmbeddingGenerator float32, LocalEmbeddingGenerator int8, string[] texts)
    {
        Console.WriteLine("int8 vs float32…");
        await float32.GenerateAsync(texts.Take(8));
        await int8.GenerateAsync(texts.Take(8));
        var (f, i) = (0.0, 0.0);
        for (var round = 0; round < 3; round++)
        {
            f = Math.Max(f, await RawPassagesPerSecondAsync(float32, texts, 256));
            i = Math.Max(i, await RawPassagesPerSecondAsync(int8, texts, 256));
        }

        var (embedF, embedI) = (new List<double>(), new List<double>());
        foreach (var question in Questions(texts))
        {
            foreach (var (generator, times) in new[] { (float32, embedF), (int8, embedI) })
            {
                var clock = Stopwatch.StartNew();
                await generator.GenerateVectorAsync(question, EmbeddingInput.ForQuery());
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        var (pf, pi) = (Stats.Percentile(embedF, 50), Stats.Percentile(embedI, 50));
        return
        [
            new Figure("raw model inference, int8 vs float32", "passages/s", i, f, "≥ 2 × float32",
                $"best of 3 rounds each, batches of 256, {threads} threads; int8: MatMul weights per column, dynamic uint8 activations, attention as QAttention, FastGelu"),
            new Figure("raw query embedding p50, int8 vs float32", "ms", pi, pf, "≤ 0.6 × float32",
                string.Create(CultureInfo.InvariantCulture, $"{embedI.Count} distinct questions, each embedded by both in turn; p99 int8 {Stats.Percentile(embedI, 99):0.00} ms, float32 {Stats.Percentile(embedF, 99):0.00} ms")),
        ];
    }

    /// <summary>Distinct questions (no cache can answer them), eight words each, from the passages.</summary>
    private string[] Questions(string[] texts) =>
        Enumerable.Range(0, queries).Select(i => string.Join(' ', texts[i % texts.Length].Split(' ').Skip(10 + (i / texts.Length)).Take(8))).ToArray();

    /// <summary>English passages of 60 to 99 words, from the repository's own documentation (the same every run).</summary>
    public static string[] Passages(string root, int count)
    {
        var files = Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Concat(Directory.GetFiles(Path.Combine(root, "demo", "corpus"), "*.md")).Order(StringComparer.Ordinal);
        var words = string.Join(' ', files.Select(File.ReadAllText)).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return Enumerable.Range(0, count).Select(i => string.Join(' ', words, i * 61 % (words.Length - 100), 60 + (i * 7 % 40))).ToArray();
    }

    private static async Task<double> RawPassagesPerSecondAsync(LocalEmbeddingGenerator generator, string[] texts, int batch)
    {
        var clock = Stopwatch.StartNew();
        foreach (var part in texts.Chunk(batch))
        {
            await generator.GenerateAsync(part);
        }

        return texts.Length / clock.Elapsed.TotalSeconds;
    }

    private async Task<double> IngestAsync(string prefix, string[] texts, int embedders, int threads)
    {
        var settings = Settings(prefix, threads);
        for (var i = 0; i < embedders; i++)
        {
            fleet.StartWorker("Embedder", settings);
        }

        using var redis = await ConnectionMultiplexer.ConnectAsync(fleet.Configuration);
        var db = redis.GetDatabase();
        var keys = new KeySchema(prefix, 1);
        var vset = keys.PartitionOf("default", "d0").VectorSet;

        // Every embedder has its model loaded and its code warm before the clock starts.
        const int Warm = 4;
        for (var i = 0; i < Warm * embedders; i++)
        {
            await db.StreamAddAsync(keys.DocumentEvents, [new("id", $"warm{i}"), new("version", 1), new("content", texts[i % texts.Length])]);
        }

        await WaitForAsync(async () => await db.VectorSetLengthAsync(vset) >= Warm * embedders, "the warm-up documents are indexed");
        var clock = Stopwatch.StartNew();
        foreach (var part in Enumerable.Range(0, texts.Length).Chunk(500))
        {
            var batch = db.CreateBatch();
            var adds = part.Select(i => batch.StreamAddAsync(keys.DocumentEvents, [new("id", $"d{i}"), new("version", 1), new("content", texts[i])])).ToArray();
            batch.Execute();
            await Task.WhenAll(adds);
        }

        await WaitForAsync(async () => await db.VectorSetLengthAsync(vset) >= texts.Length + (Warm * embedders), "every passage is indexed");
        var perSecond = texts.Length / clock.Elapsed.TotalSeconds;
        await fleet.StopWorkersAsync();
        return perSecond;
    }

    private async Task<Figure[]> QueryLatencyAsync(string prefix, LocalEmbeddingGenerator generator, string[] texts)
    {
        var settings = Settings(prefix, threads);
        fleet.StartWorker("Query", settings);
        using var redis = await ConnectionMultiplexer.ConnectAsync(fleet.Configuration);
        var db = redis.GetDatabase();
        var keys = new KeySchema(prefix, 1);
        var vset = keys.PartitionOf("default", "d0").VectorSet;
        await using var client = new StreamRagClient(redis, keys);

        var questions = Questions(texts);
        await WaitForAsync(async () =>
        {
            try
            {
                return (await client.QueryAsync("warm up the query worker", new QueryOptions { K = K, Timeout = TimeSpan.FromSeconds(2) })).Status == "ok";
            }
            catch (QueryTimeoutException)
            {
                return false; // not started yet
            }
        }, "the query worker answers");
        for (var i = 0; i < 10; i++)
        {
            await client.QueryAsync($"warm up {i}", new QueryOptions { K = K });
        }

        var embed = new List<double>();
        var vsim = new List<double>();
        var viaFleet = new List<double>();
        var (workerQueue, workerEmbed, workerSearch, workerTotal, outside) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
        foreach (var question in questions)
        {
            var clock = Stopwatch.StartNew();
            var vector = await generator.GenerateVectorAsync(question, EmbeddingInput.ForQuery());
            embed.Add(clock.Elapsed.TotalMilliseconds);

            var request = VectorSetSimilaritySearchRequest.ByVector(vector);
            request.Count = K;
            request.SearchExplorationFactor = Ef;
            request.WithScores = true;
            clock.Restart();
            using (await db.VectorSetSimilaritySearchAsync(vset, request))
            {
                vsim.Add(clock.Elapsed.TotalMilliseconds);
            }

            clock.Restart();
            var reply = await client.QueryAsync(question, new QueryOptions { K = K });
            viaFleet.Add(clock.Elapsed.TotalMilliseconds);
            if (reply.Status != "ok")
            {
                throw new InvalidOperationException($"query failed: {reply.Error?.Code} {reply.Error?.Message}");
            }

            // Where the round trip goes, as the worker timed it: queued (from the request's stream id,
            // whole milliseconds), embedding, search with re-ranking, its total; the rest is the
            // client's XADD and the reply's way back.
            workerQueue.Add(reply.Timings.QueueMs ?? 0);
            workerEmbed.Add(reply.Timings.EmbedMs);
            workerSearch.Add(reply.Timings.SearchMs);
            workerTotal.Add(reply.Timings.TotalMs);
            outside.Add(viaFleet[^1] - reply.Timings.TotalMs);
        }

        await fleet.StopWorkersAsync();
        var (e, v) = (Stats.Percentile(embed, 50), Stats.Percentile(vsim, 50));
        return
        [
            new Figure("model query latency p50, 1 client", "ms", Stats.Percentile(viaFleet, 50), e + v + 1, "≤ 1 × baseline",
                string.Create(CultureInfo.InvariantCulture, $"baseline: raw query embedding p50 {e:0.00} ms + raw VSIM p50 {v:0.00} ms + 1 ms; caches off; the worker's own p50s: queued {Stats.Percentile(workerQueue, 50):0.00}, embedding {Stats.Percentile(workerEmbed, 50):0.00}, search and re-ranking {Stats.Percentile(workerSearch, 50):0.00}, total {Stats.Percentile(workerTotal, 50):0.00} ms; round trip beyond the worker's total {Stats.Percentile(outside, 50):0.00} ms")),
            new Figure("model query latency p99, 1 client", "ms", Stats.Percentile(viaFleet, 99), Stats.Percentile(embed, 99) + Stats.Percentile(vsim, 99) + 1, null,
                "baseline: raw embedding p99 + raw VSIM p99 + 1 ms"),
        ];
    }

    private Dictionary<string, string> Settings(string prefix, int intraOpThreads) => new()
    {
        ["Redis:KeyPrefix"] = prefix,
        ["Embedding:Provider"] = "local",
        ["Embedding:Model"] = Spec.Name,
        ["Embedding:Local:IntraOpThreads"] = intraOpThreads.ToString(CultureInfo.InvariantCulture),
        ["Embedding:Local:Precision"] = DefaultPrecision,
        // One passage, one chunk: the fleet embeds exactly the texts the raw baseline does.
        ["Chunking:Size"] = "510",
        ["Index:DefaultEf"] = Ef.ToString(CultureInfo.InvariantCulture),
        ["Query:CacheEntries"] = "0",
        ["Query:EmbeddingCacheEntries"] = "0",
        ["Query:RecallSampleRate"] = "0",
        ["Metrics:PrometheusPort"] = "0",
    };

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var until = Stopwatch.GetTimestamp() + (600 * Stopwatch.Frequency);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                throw new TimeoutException($"timed out waiting until {what}");
            }

            await Task.Delay(20);
        }
    }
}
