using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Hosting;
using StreamRag.Index;
using StreamRag.Redis;
using StreamRag.Security;

// The demo an operator runs against a live fleet: ingest the bundled corpus through the
// document-events stream, wait until it is searchable, ask the bundled questions through the
// query stream and print each answer with its latency. Beside each answer it shows what word
// matching alone (the hashing-v1 embedder, computed here in-process on the same passages) would
// have put first, so the paraphrased questions show what the semantic model finds that word
// matching does not. Exits 1 if an answer of the fleet names the wrong document.
var corpus = args.ElementAtOrDefault(0) ?? "demo/corpus";
var questionsFile = args.ElementAtOrDefault(1) ?? "demo/questions.tsv";

var builder = Host.CreateApplicationBuilder();
builder.AddStreamRagCore();
using var host = builder.Build();
var services = host.Services;
var redis = await services.GetRequiredService<RedisConnections>().GetSharedAsync();
var index = services.GetRequiredService<IPartitionMetadata>();
// With tokens required (STREAMRAG_TOKENS=required ./run.sh demo), the demo mints its own token with
// the run's private key: write and query in the default tenant, for the length of the run.
await using var client = new StreamRagClient(redis, services.GetRequiredService<KeySchema>()) { Token = DemoToken(Environment.GetEnvironmentVariable("STREAMRAG_DEMO_SIGNING_KEY")) };
var demoTimeout = TimeSpan.FromMinutes(2);
using var timeout = new CancellationTokenSource(demoTimeout);

var version = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
var files = Directory.GetFiles(corpus, "*.md").Order(StringComparer.Ordinal).ToArray();
var model = EmbeddingProviders.Describe(services.GetRequiredService<IOptions<EmbeddingOptions>>().Value);
Console.WriteLine($"The fleet embeds with {model.ProviderName} {model.DefaultModelId} ({model.DefaultModelDimensions} dimensions), as configured for this run.");
await DescribeServerAsync(redis, services.GetRequiredService<SelectedVectorIndex>(), timeout.Token);
await DescribeClusterAsync(redis, services.GetRequiredService<KeySchema>());
// A run that cannot finish says where it stopped in one line, not with a stack trace.
var stage = "reading the corpus";
try
{
    using var wordMatching = await WordMatching.CreateAsync(files, timeout.Token);
    Console.WriteLine($"Ingesting {files.Length} documents from {corpus} through the document-events stream…");
    var ingest = Stopwatch.StartNew();
    stage = "posting the corpus";
    foreach (var file in files)
    {
        var id = Path.GetFileNameWithoutExtension(file);
        await client.UpsertDocumentAsync(new DocumentUpsert(id, version, await File.ReadAllTextAsync(file, timeout.Token)) { Source = "demo", Tags = ["demo"] }, timeout.Token);
    }

    foreach (var file in files)
    {
        var id = Path.GetFileNameWithoutExtension(file);
        stage = $"waiting for document {id} to be indexed";
        while ((await index.GetStateAsync(DocumentEventParser.DefaultTenant, id, timeout.Token))?.Version is not { } indexed || indexed < version)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    Console.WriteLine($"All {files.Length} documents searchable after {ingest.ElapsedMilliseconds} ms.\n");

    var wrong = 0;
    var wordMatchingRight = 0;
    var questions = (await File.ReadAllLinesAsync(questionsFile, timeout.Token)).Where(l => l.Contains('\t', StringComparison.Ordinal)).ToArray();
    foreach (var (line, n) in questions.Select((l, i) => (l, i + 1)))
    {
        stage = $"asking question {n} of {questions.Length}";
        var parts = line.Split('\t');
        var (question, expected) = (parts[0], parts[1]);
        var clock = Stopwatch.StartNew();
        var reply = await client.QueryAsync(question, new QueryOptions { K = 3, Mode = QueryMode.Answer }, timeout.Token);
        var roundTrip = clock.Elapsed.TotalMilliseconds;
        if (reply.Status != QueryReply.StatusOk)
        {
            Console.WriteLine($"Q: {question}\n   error {reply.Error?.Code}: {reply.Error?.Message}\n");
            wrong++;
            continue;
        }

        var best = reply.Results.Count > 0 ? reply.Results[0] : null;
        var ok = best?.Id == expected;
        wrong += ok ? 0 : 1;
        var lexical = wordMatching.Best(question);
        wordMatchingRight += lexical == expected ? 1 : 0;
        var excerpt = best is null ? "(no result)" : Excerpt(best.Content);
        Console.WriteLine($"Q: {question}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {(ok ? "✓" : "✗")} {best?.Id ?? "-"} (score {best?.Score:0.000}; expected {expected}) — {roundTrip:0.00} ms round trip, search {reply.Timings.SearchMs:0.00} ms"));
        Console.WriteLine($"   word matching alone would answer: {(lexical == expected ? "✓" : "✗")} {lexical}");
        Console.WriteLine($"   {excerpt}");
        Console.WriteLine($"   cites: {string.Join(", ", reply.Answer?.Citations ?? [])}\n");
    }

    Console.WriteLine($"{questions.Length - wrong} of {questions.Length} answers name the expected document ({model.DefaultModelId}); word matching alone: {wordMatchingRight} of {questions.Length}.");
    return wrong == 0 ? 0 : 1;
}
catch (OperationCanceledException) when (timeout.IsCancellationRequested)
{
    Console.Error.WriteLine($"demo: gave up after {demoTimeout.TotalMinutes:0} minutes {stage}; the workers' logs say why (./run.sh writes them to .run/fleet-<port>/logs/).");
    return 1;
}
catch (Exception ex) when (ex is InvalidOperationException or RedisException)
{
    // The client's refusal of a configuration the index contradicts (Streams:Partitions), or Redis gone.
    Console.Error.WriteLine($"demo: stopped {stage}: {ex.Message}");
    return 1;
}

// Which Redis the run talks to and which index engine it chose, since answers and speed depend on both.
static string? DemoToken(string? privateKeyFile)
{
    if (string.IsNullOrEmpty(privateKeyFile))
    {
        return null;
    }

    using var key = TokenKeys.ReadPrivate(File.ReadAllText(privateKeyFile));
    var now = DateTimeOffset.UtcNow;
    Console.WriteLine($"Tokens are required: the demo signs its own (tenant {DocumentEventParser.DefaultTenant}, write and query) with {privateKeyFile}.");
    return TokenIssuer.Issue(key, TokenKeys.KidOf(key), [DocumentEventParser.DefaultTenant], [TokenScope.Write, TokenScope.Query], now, now.AddHours(1));
}

static async Task DescribeServerAsync(IConnectionMultiplexer redis, SelectedVectorIndex index, CancellationToken cancellationToken)
{
    var server = redis.GetServers().First(s => s.IsConnected);
    await index.EngineAsync(cancellationToken);
    Console.WriteLine($"Redis {server.Version} at {server.EndPoint}; the index engine is {index.EngineName} (Index:Engine, docs/search-engine.md).");
}

// On a cluster, says where the data goes: a shard count below the number of masters still answers
// every question, but leaves masters without any of the index (streamrag reshard changes it).
static async Task DescribeClusterAsync(IConnectionMultiplexer redis, KeySchema keys)
{
    if (!redis.GetServers().Any(s => s.ServerType == ServerType.Cluster))
    {
        return;
    }

    var masters = RedisPrimaries.Of(redis).Length;
    // The recorded shard count, which an index keeps once it has one (Redis:Shards only starts a new index).
    var shards = (await IndexLayoutStore.ReadAsync(redis.GetDatabase(), keys)).Current.Shards;
    Console.WriteLine($"Redis is a cluster of {masters} masters: each tenant's index is split into {shards} partition(s) (Redis:Shards), the input streams into {keys.StreamPartitions} (Streams:Partitions).");
    if (shards < masters)
    {
        Console.WriteLine($"   With Redis:Shards={shards} the index lives on at most {shards} of the {masters} masters; Redis__Shards={masters} spreads a new index, `streamrag reshard --to {masters}` an existing one (docs/keys.md#changing-the-shard-count).");
    }
}

static string Excerpt(string content)
{
    var text = string.Join(' ', content.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    return text.Length <= 140 ? text : text[..140] + "…";
}

/// <summary>The corpus as the lexical hashing embedder sees it: the same 200-word passages, ranked in memory.</summary>
internal sealed class WordMatching : IDisposable
{
    private readonly HashingEmbeddingGenerator embedder = new(384);
    private readonly List<(string Document, float[] Vector)> passages = [];

    public static async Task<WordMatching> CreateAsync(IEnumerable<string> files, CancellationToken cancellationToken)
    {
        var matching = new WordMatching();
        var chunker = new TextChunker(200, 40);
        foreach (var file in files)
        {
            foreach (var chunk in chunker.Split(await File.ReadAllTextAsync(file, cancellationToken)))
            {
                matching.passages.Add((Path.GetFileNameWithoutExtension(file), matching.embedder.Embed(chunk.Text)));
            }
        }

        return matching;
    }

    /// <summary>The document of the passage most similar to the question.</summary>
    public string Best(string question)
    {
        var q = embedder.Embed(question);
        return passages.MaxBy(p => System.Numerics.Tensors.TensorPrimitives.Dot(q, p.Vector)).Document;
    }

    public void Dispose() => embedder.Dispose();
}
