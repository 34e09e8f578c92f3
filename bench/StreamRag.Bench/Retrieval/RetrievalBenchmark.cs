using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Bench.Retrieval;

/// <summary>What one provider scored through the fleet, and by exact search over the vectors the fleet stored; or why it could not run.</summary>
/// <param name="Fleet">Through the fleet with the vector order alone (<c>Query:Rerank=None</c>).</param>
/// <param name="Ranked">Through the fleet with the query worker's default ranking (lexical fusion).</param>
internal sealed record ProviderResult(ProviderRun Provider, KnownItemScores? Fleet, KnownItemScores? Ranked, KnownItemScores? Exact, long Passages, double IngestSeconds, double QueryP50Ms, double RankedQueryP50Ms, string? Failure)
{
    /// <summary>The same provider on the Query Engine engine, or null when it did not run (see <see cref="CorpusRun.SearchSkipped"/>).</summary>
    public SearchResult? Search { get; init; }
}

/// <summary>
/// One provider through the fleet on the Query Engine engine, one ingestion, three query passes.
/// </summary>
/// <param name="Hybrid">Default settings: the engine's hybrid search (text and vector fused), then the worker's default ranking.</param>
/// <param name="VectorOnly"><c>Index:Search:TextWeight=0</c>: the vector search alone, then the worker's default ranking.</param>
/// <param name="HybridEngineOrder">The engine's hybrid order alone (<c>Query:Rerank=None</c>).</param>
/// <param name="Fusion">Where the hybrid search fused: <c>FT.HYBRID</c> (the server) or the client.</param>
internal sealed record SearchResult(KnownItemScores? Hybrid, KnownItemScores? VectorOnly, KnownItemScores? HybridEngineOrder, string Fusion, double IngestSeconds, string? Failure);

/// <summary>One corpus of the run: what it is, its BM25 baseline and every provider's figures.</summary>
internal sealed record CorpusRun(string Name, string Title, string Description, KnownItemCorpus Corpus, IReadOnlyList<string> Packages, KnownItemScores Bm25, IReadOnlyList<ProviderResult> Results, string? SearchSkipped);

/// <summary>
/// <c>./bench.sh retrieval</c>: known-item retrieval quality of each embedding provider through the
/// fleet (embedder and query worker as separate processes, documents in through the events stream,
/// questions through the client), beside exact BM25 on the same documents in the same run. See
/// docs/benchmarks.md.
/// </summary>
internal static class RetrievalBenchmark
{
    /// <summary>Passages asked of the fleet per query; collapsed to documents, the first 10 count.</summary>
    private const int Passages = 50;

    private const int Seed = 11;
    /// <summary>
    /// Longest wait with no document becoming searchable while the workers run. The embedder writes a
    /// batch of documents when the whole batch is embedded, which on a busy machine with a model takes
    /// minutes (three were seen at 2 passages/s); a dead worker or a dead letter fails at once instead.
    /// </summary>
    private static readonly TimeSpan NoProgressTimeout = TimeSpan.FromMinutes(15);

    /// <summary>The environment variable naming the Query Engine module (a .so) the Query Engine runs load.</summary>
    public const string SearchModuleVariable = "STREAMRAG_SEARCH_MODULE";

    public static async Task<int> RunAsync(string root, string[] args)
    {
        var smoke = args.Contains("--smoke");
        var documents = IntOption(args, "--docs") ?? (smoke ? 50 : 2_000);
        var queries = IntOption(args, "--queries") ?? (smoke ? 20 : 300);
        var providers = RetrievalProviders.Select(StringOption(args, "--providers") ?? (smoke ? "hashing" : string.Join(',', RetrievalProviders.All.Select(p => p.Name))));
        var corpusNames = (StringOption(args, "--corpora") ?? "manpages,pydocs").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var clock = Stopwatch.StartNew();

        // A smoke run (the tests run one) keeps its replies apart, so it never overwrites a full run's,
        // which bench/fusion-study.py reads.
        var repliesDirectory = Directory.CreateDirectory(Path.Combine(root, "bench-results", smoke ? "smoke" : "")).FullName;
        var corpusDirectory = Path.Combine(root, ".bench-corpus");
        var corpora = new List<(string Name, string Title, string Description, KnownItemCorpus Corpus, string[] Packages)>();
        foreach (var name in corpusNames)
        {
            corpora.Add(name switch
            {
                "manpages" => await LoadManPagesAsync(root, corpusDirectory, documents, queries),
                "pydocs" => await LoadPythonDocsAsync(root, corpusDirectory, documents, queries),
                _ => throw new ArgumentException($"unknown corpus '{name}' (known: manpages, pydocs)"),
            });
        }

        if (args.Contains("--corpus"))
        {
            // Only show what the tests are made of: a few queries with the start of their documents.
            foreach (var (name, _, _, corpus, _) in corpora)
            {
                Console.WriteLine($"\n== {name}: {corpus.Documents.Count:N0} documents, {corpus.Queries.Count} queries");
                foreach (var query in corpus.Queries.Take(10))
                {
                    var document = corpus.Documents[query.Document];
                    Console.WriteLine($"\n\"{query.Text}\" → {document.Id}:\n{ManPageCorpus.Truncate(document.Text, 60)} …");
                }
            }

            return 0;
        }

        var module = Environment.GetEnvironmentVariable(SearchModuleVariable);
        var searchSkipped = string.IsNullOrEmpty(module)
            ? $"{SearchModuleVariable} is not set: no server with the Query Engine to run its engine on (set it to the path of a RediSearch module .so for this Redis)"
            : File.Exists(module) ? null : $"{SearchModuleVariable}={module} does not exist";
        if (searchSkipped is not null)
        {
            Console.WriteLine($"Query Engine columns skipped: {searchSkipped}");
        }

        var runs = new List<CorpusRun>();
        string redisVersion;
        await using (var fleet = await Fleet.StartRedisAsync(root))
        await using (var searchFleet = searchSkipped is null ? await Fleet.StartRedisAsync(root, "--loadmodule", module!) : null)
        {
            using var redis = await ConnectionMultiplexer.ConnectAsync($"{fleet.Configuration},allowAdmin=true");
            using var searchRedis = searchFleet is null ? null : await ConnectionMultiplexer.ConnectAsync($"{searchFleet.Configuration},allowAdmin=true");
            redisVersion = redis.GetServers()[0].Version.ToString();
            foreach (var (name, title, description, corpus, packages) in corpora)
            {
                Console.WriteLine($"{title}: {corpus.Documents.Count:N0} documents (of {corpus.Available:N0}) and {corpus.Queries.Count} known-item queries (of {corpus.EligibleQueries} eligible), from {string.Join(", ", packages)}");
                var bm25 = new Bm25(corpus.Documents.Select(d => d.Text).ToArray());
                var baseline = KnownItemScores.Of(corpus.Queries, corpus.Queries.Select(q => (IReadOnlyList<int>)bm25.Search(q.Text, KnownItemScores.Depth)).ToArray());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  exact BM25: hit@1 {baseline.HitAt1:0.000}, hit@10 {baseline.HitAt10:0.000}, MRR@10 {baseline.MrrAt10:0.000}"));
                var results = new List<ProviderResult>();
                foreach (var provider in providers)
                {
                    Console.WriteLine($"{provider.Name}: {provider.Description}…");
                    ProviderResult result;
                    try
                    {
                        result = await MeasureAsync(fleet, redis, provider, corpus, name, repliesDirectory);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or RedisException)
                    {
                        result = new ProviderResult(provider, null, null, null, 0, 0, 0, 0, ex.Message);
                    }
                    finally
                    {
                        await fleet.StopWorkersAsync();
                        await redis.GetServers()[0].FlushAllDatabasesAsync();
                    }

                    Console.WriteLine(result.Failure is { } failure
                        ? $"  not measured: {failure}"
                        : string.Create(CultureInfo.InvariantCulture, $"  vector-set engine: default ranking MRR@10 {result.Ranked!.MrrAt10:0.000}; vector order {result.Fleet!.MrrAt10:0.000}; exact on its vectors {result.Exact!.MrrAt10:0.000}"));
                    if (searchFleet is not null)
                    {
                        SearchResult search;
                        try
                        {
                            search = await MeasureSearchAsync(searchFleet, searchRedis!, provider, corpus, name, repliesDirectory);
                        }
                        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or RedisException)
                        {
                            search = new SearchResult(null, null, null, "", 0, ex.Message);
                        }
                        finally
                        {
                            await searchFleet.StopWorkersAsync();
                            await searchRedis!.GetServers()[0].FlushAllDatabasesAsync();
                        }

                        Console.WriteLine(search.Failure is { } searchFailure
                            ? $"  Query Engine engine not measured: {searchFailure}"
                            : string.Create(CultureInfo.InvariantCulture, $"  Query Engine engine ({search.Fusion}): hybrid MRR@10 {search.Hybrid!.MrrAt10:0.000}; vector only {search.VectorOnly!.MrrAt10:0.000}; hybrid, engine order {search.HybridEngineOrder!.MrrAt10:0.000}"));
                        result = result with { Search = search };
                    }

                    results.Add(result);
                }

                runs.Add(new CorpusRun(name, title, description, corpus, packages, baseline, results, searchSkipped));
            }

            var searchVersion = searchRedis is null ? null : await SearchModuleVersionAsync(searchRedis);
            var report = new RetrievalReport(runs, fleet.Configuration, redisVersion, searchVersion, clock.Elapsed);
            report.Write(Path.Combine(root, "bench-results"), smoke ? "retrieval-smoke" : "retrieval");
        }

        return runs.SelectMany(r => r.Results).Any(r => r.Failure is not null || r.Search?.Failure is not null) ? 1 : 0;
    }

    private static async Task<(string, string, string, KnownItemCorpus, string[])> LoadManPagesAsync(string root, string corpusDirectory, int documents, int queries)
    {
        await Fleet.RunAsync(Path.Combine(root, "bench", "manpages.sh"), corpusDirectory);
        var packages = File.ReadAllLines(Path.Combine(corpusDirectory, "man-packages.txt")).Where(l => l.Length > 0).ToArray();
        return ("manpages", "Manual pages", $"pages cut after {ManPageCorpus.MaxWords} words; query = the NAME summary, document = the page without its NAME section",
            ManPageCorpus.Load(Path.Combine(corpusDirectory, "man"), documents, queries, Seed), packages);
    }

    private static async Task<(string, string, string, KnownItemCorpus, string[])> LoadPythonDocsAsync(string root, string corpusDirectory, int documents, int queries)
    {
        await Fleet.RunAsync(Path.Combine(root, "bench", "pythondocs.sh"), corpusDirectory);
        var packages = File.ReadAllLines(Path.Combine(corpusDirectory, "pydoc-packages.txt")).Where(l => l.Length > 0).ToArray();
        return ("pydocs", "Python FAQ questions", $"every section of the FAQ and HOWTO pages is a document (its heading removed, cut after {ManPageCorpus.MaxWords} words); query = a FAQ question heading, document = its answer",
            PythonDocsCorpus.Load(Path.Combine(corpusDirectory, "pydoc"), documents, queries, Seed), packages);
    }

    private static async Task<string> SearchModuleVersionAsync(ConnectionMultiplexer redis)
    {
        var modules = (RedisResult[])(await redis.GetDatabase().ExecuteAsync("MODULE", "LIST"))!;
        foreach (var module in modules.Select(m => (RedisResult[])m!))
        {
            var fields = Enumerable.Range(0, module.Length / 2).ToDictionary(i => (string)module[2 * i]!, i => module[(2 * i) + 1], StringComparer.Ordinal);
            if ((string?)fields.GetValueOrDefault("name") == "search")
            {
                return $"search {(long)fields["ver"]!}";
            }
        }

        return "search (version unknown)";
    }

    /// <summary>The provider's settings for one engine, under the benchmark's key prefix, query cache off.</summary>
    private static Dictionary<string, string> WorkerSettings(ProviderRun provider, KeySchema keys, string engine) => new(provider.Settings)
    {
        ["Redis:KeyPrefix"] = keys.Prefix,
        ["Index:Engine"] = engine,
        ["Query:CacheEntries"] = "0",
        // No scrape endpoint: the hosts' default ports may be taken by another fleet on this machine.
        ["Metrics:PrometheusPort"] = "0",
    };

    private static async Task<ProviderResult> MeasureAsync(Fleet fleet, ConnectionMultiplexer redis, ProviderRun provider, KnownItemCorpus corpus, string corpusName, string repliesDirectory)
    {
        var keys = new KeySchema("retrieval", 1);
        // The exact search below reads the vector sets; the Query Engine engine would store them elsewhere.
        var settings = WorkerSettings(provider, keys, "vectorset");
        // Every query's vector goes to the metrics stream, so the exact search uses the very vector the worker searched with.
        settings["Query:RecallSampleRate"] = "1";
        // The first pass measures the vector order alone; the second, the worker's default ranking.
        settings["Query:Rerank"] = "None";
        fleet.StartWorker("Embedder", settings);
        fleet.StartWorker("Query", settings);
        var db = redis.GetDatabase();

        var ingestSeconds = await IngestAsync(fleet, db, keys, corpus);
        var passages = 0L;
        foreach (var partition in keys.PartitionsOf("default"))
        {
            passages += await db.VectorSetLengthAsync(partition.VectorSet);
        }

        await using var client = new StreamRagClient(redis, keys);
        var byId = corpus.Documents.Select((d, i) => (d.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var (replies, p50) = await AskAllAsync(fleet, client, corpus);
        await fleet.StopWorkersAsync();
        fleet.StartWorker("Query", settings.Where(s => s.Key != "Query:Rerank").ToDictionary());
        var (ranked, rankedP50) = await AskAllAsync(fleet, client, corpus);
        var rankedScores = KnownItemScores.Of(corpus.Queries, ranked.Select(r => (IReadOnlyList<int>)KnownItemScores.Collapse(r.Results.Select(x => byId[x.Id]))).ToArray());

        // Kept for analysis beside the report (e.g. of lexical fusion over the candidates): each
        // query, its right document and the passages the fleet returned, in order.
        await File.WriteAllTextAsync(Path.Combine(repliesDirectory, $"retrieval-replies-{corpusName}-{provider.Name}.json"), System.Text.Json.JsonSerializer.Serialize(
            corpus.Queries.Select((q, i) => new { query = q.Text, expected = corpus.Documents[q.Document].Id, results = replies[i].Results.Select(x => new { id = x.Id, chunk = x.Chunk, score = x.Score, content = x.Content }) })));
        var fleetScores = KnownItemScores.Of(corpus.Queries, replies.Select(r => (IReadOnlyList<int>)KnownItemScores.Collapse(r.Results.Select(x => byId[x.Id]))).ToArray());

        var vectors = await QueryVectorsAsync(db, keys, replies);
        await using var connections = new RedisConnections(Options.Create(new RedisOptions { Configuration = fleet.Configuration, KeyPrefix = keys.Prefix }));
        var index = new VectorSetIndex(connections, keys, Options.Create(new IndexOptions()));
        var exact = new List<IReadOnlyList<int>>();
        foreach (var vector in vectors)
        {
            var hits = await index.SearchAsync(new VectorQuery("default", vector, Passages, QueryFilters.None, null, Exact: true), CancellationToken.None);
            exact.Add(KnownItemScores.Collapse(hits.Select(h => byId[h.DocumentId])));
        }

        return new ProviderResult(provider, fleetScores, rankedScores, KnownItemScores.Of(corpus.Queries, exact), passages, ingestSeconds, p50, rankedP50, null);
    }

    /// <summary>
    /// The same provider on the Query Engine engine: one ingestion, then the query worker five
    /// times — default settings (hybrid search, default ranking), the engine's hybrid order alone
    /// (<c>Query:Rerank=None</c>), the vector search alone (<c>Index:Search:TextWeight=0</c>), and each
    /// side alone in its own order (kept for bench/fusion-study.py).
    /// </summary>
    private static async Task<SearchResult> MeasureSearchAsync(Fleet fleet, ConnectionMultiplexer redis, ProviderRun provider, KnownItemCorpus corpus, string corpusName, string repliesDirectory)
    {
        var keys = new KeySchema("retrieval", 1);
        var settings = WorkerSettings(provider, keys, "search");
        fleet.StartWorker("Embedder", settings);
        var db = redis.GetDatabase();
        var ingestSeconds = await IngestAsync(fleet, db, keys, corpus);
        await fleet.StopWorkersAsync();

        await using var client = new StreamRagClient(redis, keys);
        var byId = corpus.Documents.Select((d, i) => (d.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        async Task<KnownItemScores> PassAsync(string pass, IReadOnlyDictionary<string, string> changes, int k = Passages)
        {
            fleet.StartWorker("Query", settings.Concat(changes).ToDictionary());
            try
            {
                var (replies, _) = await AskAllAsync(fleet, client, corpus, k);
                await File.WriteAllTextAsync(Path.Combine(repliesDirectory, $"retrieval-replies-{corpusName}-{provider.Name}-search-{pass}.json"), System.Text.Json.JsonSerializer.Serialize(
                    corpus.Queries.Select((q, i) => new { query = q.Text, expected = corpus.Documents[q.Document].Id, results = replies[i].Results.Select(x => new { id = x.Id, chunk = x.Chunk, score = x.Score, content = x.Content }) })));
                return KnownItemScores.Of(corpus.Queries, replies.Select(r => (IReadOnlyList<int>)KnownItemScores.Collapse(r.Results.Select(x => byId[x.Id]))).ToArray());
            }
            finally
            {
                await fleet.StopWorkersAsync();
            }
        }

        var hybrid = await PassAsync("hybrid", new Dictionary<string, string>());
        var engineOrder = await PassAsync("hybrid-engine-order", new Dictionary<string, string> { ["Query:Rerank"] = "None" });
        var vectorOnly = await PassAsync("vector-only", new Dictionary<string, string> { ["Index:Search:TextWeight"] = "0" });
        // Each side alone in its own order, with its scores (similarity; BM25 divided by the query's
        // best): what bench/fusion-study.py fuses offline, to compare fusions without re-ingesting.
        // The contract's largest k, so a re-ranking can be tried over as many candidates.
        var most = new ContractLimits().MaxK;
        await PassAsync("vector-order", new Dictionary<string, string> { ["Index:Search:TextWeight"] = "0", ["Query:Rerank"] = "None" }, most);
        await PassAsync("text-order", new Dictionary<string, string> { ["Index:Search:VectorWeight"] = "0", ["Index:Search:TextWeight"] = "1", ["Query:Rerank"] = "None" }, most);
        var fusion = await HasHybridCommandAsync(db) ? "FT.HYBRID" : "client-side fusion";
        return new SearchResult(hybrid, vectorOnly, engineOrder, fusion, ingestSeconds, null);
    }

    /// <summary>Whether the server knows FT.HYBRID (Redis 8.4 and newer with the Query Engine).</summary>
    private static async Task<bool> HasHybridCommandAsync(IDatabase db)
    {
        try
        {
            var info = (RedisResult[])(await db.ExecuteAsync("COMMAND", "INFO", "FT.HYBRID"))!;
            return info.Length > 0 && !info[0].IsNull;
        }
        catch (RedisServerException)
        {
            return false;
        }
    }

    /// <summary>Every document in through the document-events stream, until all are searchable; the seconds that took.</summary>
    private static async Task<double> IngestAsync(Fleet fleet, IDatabase db, KeySchema keys, KnownItemCorpus corpus)
    {
        var ingest = Stopwatch.StartNew();
        for (var start = 0; start < corpus.Documents.Count; start += 200)
        {
            var batch = db.CreateBatch();
            var adds = corpus.Documents.Skip(start).Take(200).Select(d => batch.StreamAddAsync(keys.DocumentEvents,
                [new("id", d.Id), new("version", 1), new("source", "bench"), new("content", d.Text)])).ToArray();
            batch.Execute();
            await Task.WhenAll(adds);
        }

        await WaitForDocumentsAsync(fleet, db, keys, corpus.Documents);
        return ingest.Elapsed.TotalSeconds;
    }

    /// <summary>Every query through the client, after a warm-up; the replies in query order and the round trip's p50.</summary>
    private static async Task<(List<QueryReply> Replies, double P50Ms)> AskAllAsync(Fleet fleet, StreamRagClient client, KnownItemCorpus corpus, int k = Passages)
    {
        await WarmUpAsync(fleet, client);
        var replies = new List<QueryReply>();
        var latencies = new List<double>();
        foreach (var query in corpus.Queries)
        {
            var started = Stopwatch.GetTimestamp();
            var reply = await client.QueryAsync(query.Text, new QueryOptions { K = k, Timeout = TimeSpan.FromSeconds(60) });
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (reply.Status != QueryReply.StatusOk)
            {
                throw new InvalidOperationException($"query '{query.Text}' failed: {reply.Error?.Code} {reply.Error?.Message}");
            }

            replies.Add(reply);
        }

        return (replies, Stats.Percentile(latencies, 50));
    }

    /// <summary>Until every document is searchable (its document hash is written with its chunks, atomically); fails on a dead letter, a dead worker or no progress.</summary>
    private static async Task WaitForDocumentsAsync(Fleet fleet, IDatabase db, KeySchema keys, IReadOnlyList<CorpusDocument> documents)
    {
        var pending = documents.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var progressAt = Stopwatch.GetTimestamp();
        var reportedAt = Stopwatch.GetTimestamp();
        while (pending.Count > 0)
        {
            fleet.EnsureRunning();
            if (await db.StreamLengthAsync(keys.DocumentDeadLetters) > 0)
            {
                var dead = (await db.StreamRangeAsync(keys.DocumentDeadLetters, count: 1))[0];
                throw new InvalidOperationException($"the embedder dead-lettered a document: {string.Join(", ", dead.Values.Where(v => v.Name != "content").Select(v => $"{v.Name}={v.Value}"))}");
            }

            var ids = pending.ToArray();
            var exists = await Task.WhenAll(ids.Select(id => db.KeyExistsAsync(keys.PartitionOf("default", id).Document(id))));
            var before = pending.Count;
            pending.ExceptWith(ids.Where((_, i) => exists[i]));
            if (pending.Count < before)
            {
                progressAt = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(progressAt) > NoProgressTimeout)
            {
                throw new TimeoutException($"{pending.Count} of {documents.Count} documents were not indexed, and none for {NoProgressTimeout.TotalMinutes:0} minutes");
            }

            if (Stopwatch.GetElapsedTime(reportedAt).TotalSeconds >= 15)
            {
                Console.WriteLine($"  {documents.Count - pending.Count:N0} of {documents.Count:N0} documents indexed");
                reportedAt = Stopwatch.GetTimestamp();
            }

            await Task.Delay(pending.Count > 0 ? 500 : 0);
        }
    }

    /// <summary>One query first (not measured): the worker may still be loading its model.</summary>
    private static async Task WarmUpAsync(Fleet fleet, StreamRagClient client)
    {
        var until = Stopwatch.GetTimestamp() + (120 * Stopwatch.Frequency);
        while (true)
        {
            fleet.EnsureRunning();
            try
            {
                await client.QueryAsync("warm up", new QueryOptions { K = 1, Timeout = TimeSpan.FromSeconds(10) });
                return;
            }
            catch (QueryTimeoutException) when (Stopwatch.GetTimestamp() < until)
            {
                // Not answered yet: try again while the worker starts.
            }
        }
    }

    /// <summary>
    /// The vector the query worker searched with for each reply, from the query-metrics stream
    /// (every query is sampled): entries are matched to replies by their result lists, in order.
    /// </summary>
    private static async Task<float[][]> QueryVectorsAsync(IDatabase db, KeySchema keys, IReadOnlyList<QueryReply> replies)
    {
        static string Key(IEnumerable<string> ids) => string.Join(',', ids);
        var sampled = new Dictionary<string, Queue<float[]>>(StringComparer.Ordinal);
        var needed = replies.Count;
        for (var wait = 0; wait < 100; wait++)
        {
            sampled.Clear();
            var entries = await db.StreamRangeAsync(keys.QueryMetrics);
            foreach (var entry in entries)
            {
                var fields = entry.Values.ToDictionary(v => (string)v.Name!, v => v.Value, StringComparer.Ordinal);
                if (fields.TryGetValue(QueryMetricsFields.Vector, out var blob) && fields.TryGetValue(QueryMetricsFields.ResultIds, out var ids))
                {
                    var key = (string)ids!;
                    if (!sampled.TryGetValue(key, out var queue))
                    {
                        sampled[key] = queue = new Queue<float[]>();
                    }

                    queue.Enqueue(MemoryMarshal.Cast<byte, float>((byte[])blob!).ToArray());
                }
            }

            if (sampled.Values.Sum(q => q.Count) > needed)
            {
                break;
            }

            await Task.Delay(100);
        }

        return replies.Select(r => sampled.TryGetValue(Key(r.Results.Select(x => $"{x.Id}#{x.Chunk}")), out var queue) && queue.TryDequeue(out var vector)
            ? vector
            : throw new InvalidOperationException($"no query-metrics entry carries the vector of query {r.Id}")).ToArray();
    }

    private static string? StringOption(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static int? IntOption(string[] args, string name) =>
        StringOption(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;
}
