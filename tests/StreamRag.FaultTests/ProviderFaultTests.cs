using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using StreamRag.Embedding;
using StreamRag.Redis;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 5: the embedding provider misbehaves (a stub OpenAI-style server on loopback): 429
/// storms, 500s, hangs past the timeout, malformed JSON, vectors of the wrong length. Nothing is lost,
/// and only what can never succeed (a wrong-length vector) is dead-lettered.
/// </summary>
public sealed class ProviderFaultTests(RedisServerFixture redis, FaultReport report)
{
    [Fact]
    public async Task ProviderFaults_NoLoss_DeadLetterOnlyWhatCanNeverSucceed()
    {
        const int n = 300;
        await using var stub = new StubEmbeddingServer(dimensions: 384);
        stub.Enqueue([.. Enumerable.Repeat(StubFault.TooManyRequests, 10), .. Enumerable.Repeat(StubFault.ServerError, 3), StubFault.Hang, StubFault.Hang, StubFault.MalformedJson, StubFault.MalformedJson]);
        using var http = new HttpClient { BaseAddress = new Uri(stub.BaseUrl), Timeout = TimeSpan.FromSeconds(1) };
        var generator = new HttpEmbeddingGenerator(http);

        await using var scope = new TestScope(redis);
        await scope.StartAsync(b =>
        {
            Embedder.EmbedderExtensions.AddEmbedderWorker(b);
            b.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(generator);
        }, [.. FastReclaim, .. SmallChunks, ("Chunking:MaxEmbeddingBatch", "64")]);

        // Every 60th document makes the stub answer with a vector of the wrong length: it can never be indexed.
        static bool Poisoned(int i) => i % 60 == 7;
        var started = Stopwatch.GetTimestamp();
        await ProduceAsync(scope.Db, scope.Keys.DocumentEvents, Enumerable.Range(0, n).Select(i => Poisoned(i)
            ? [new("id", $"d{i}"), new("version", 1), new("content", $"{StubEmbeddingServer.WrongDimensionMarker} {Content(i)}")]
            : Upsert(i)));
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(120), () => $"stub served {stub.Summary}");
        var drained = Stopwatch.GetTimestamp();

        var index = scope.Index();
        var good = Enumerable.Range(0, n).Where(i => !Poisoned(i)).ToArray();
        var states = await Task.WhenAll(good.Select(i => index.GetStateAsync("default", $"d{i}", Ct)));
        var missing = good.Where((i, k) => states[k] is not { Version: 1, Deleted: false } s || s.Chunks != Chunker.Split(Content(i)).Count).Count();
        var stored = await scope.Db.VectorSetLengthAsync(scope.Keys.PartitionOf("default", "d0").VectorSet);
        var extra = stored - states.Sum(s => s?.Chunks ?? 0);
        var dead = await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters);
        var deadIds = dead.Select(d => (string)d["id"]!).Order(StringComparer.Ordinal).ToArray();
        var poisoned = Enumerable.Range(0, n).Where(Poisoned).Select(i => $"d{i}").Order(StringComparer.Ordinal).ToArray();

        await report.WriteAsync(new FaultRow(
            "5 embedding provider faults",
            $"{n} documents; embedder with a minimal HTTP generator (1 s timeout, no retries of its own) against a stub server",
            "10 × 429, 3 × 500, 2 hangs past the timeout, 2 malformed JSON bodies, wrong-length vectors for 5 documents",
            missing,
            extra,
            null,
            $"stub served {stub.Summary}; all indexed {Between(started, drained)} s after the first event; dead-lettered {dead.Length} (the 5 wrong-length ones): {(dead.Length > 0 ? (string?)dead[0][ConsumerGroupRunner.DeadLetterReasonField] : "")}. "
            + "Bounded provider retries and the circuit breaker belong to the openai provider (issue 3): see the skipped test"));

        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal(poisoned, deadIds);
        Assert.All(dead, d => Assert.Contains("embedding refused", (string?)d[ConsumerGroupRunner.DeadLetterReasonField], StringComparison.Ordinal));
        Assert.Equal(0, stub.Pending);
    }

    [Fact]
    public void ProviderFaults_BoundedRetries_CircuitOpensAndCloses() =>
        Assert.Skip("needs the openai provider (issue 3): its retry budget and circuit breaker are not on this branch; "
            + "the lead finishes this scenario after merging issue-3-providers (tests/Shared/StubOpenAIServer.cs)");
}

internal enum StubFault
{
    None,
    TooManyRequests,
    ServerError,
    Hang,
    MalformedJson,
}

/// <summary>
/// An OpenAI-style embeddings endpoint on 127.0.0.1 (<c>POST /v1/embeddings</c>) that answers with
/// hashing-embedder vectors, or with the next queued fault. An input containing
/// <see cref="WrongDimensionMarker"/> always gets a vector of the wrong length.
/// </summary>
internal sealed class StubEmbeddingServer : IAsyncDisposable
{
    public const string WrongDimensionMarker = "WRONGDIM";

    private readonly HttpListener listener = new();
    private readonly ConcurrentQueue<StubFault> faults = new();
    private readonly ConcurrentDictionary<string, int> served = new(StringComparer.Ordinal);
    private readonly HashingEmbeddingGenerator vectors;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public StubEmbeddingServer(int dimensions)
    {
        vectors = new HashingEmbeddingGenerator(dimensions);
        Port = RedisServerFixture.FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/v1/";

    public int Pending => faults.Count;

    public string Summary => string.Join(", ", served.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}"));

    public void Enqueue(IEnumerable<StubFault> queued)
    {
        foreach (var fault in queued)
        {
            faults.Enqueue(fault);
        }
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var fault = faults.TryDequeue(out var f) ? f : StubFault.None;
            served.AddOrUpdate(fault.ToString(), 1, (_, c) => c + 1);
            switch (fault)
            {
                case StubFault.TooManyRequests:
                    response.StatusCode = 429;
                    response.AddHeader("Retry-After", "0");
                    return;
                case StubFault.ServerError:
                    response.StatusCode = 500;
                    return;
                case StubFault.Hang:
                    await Task.Delay(TimeSpan.FromSeconds(30), stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    return;
                case StubFault.MalformedJson:
                    await WriteAsync(response, "{\"object\":\"list\",\"data\":[{\"embedding\":[0.1,0.2");
                    return;
            }

            using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
            var inputs = body.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var embeddings = await vectors.GenerateAsync(inputs);
            var data = inputs.Select((text, i) => new
            {
                @object = "embedding",
                index = i,
                embedding = text.Contains(WrongDimensionMarker, StringComparison.Ordinal) ? embeddings[i].Vector.ToArray()[..100] : embeddings[i].Vector.ToArray(),
            });
            await WriteAsync(response, JsonSerializer.Serialize(new { @object = "list", data, model = "stub" }));
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (HttpListenerException)
            {
                // The client gave up (timeout): nothing to close.
            }
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, string json)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Close();
        await loop;
        stop.Dispose();
    }
}

/// <summary>
/// The least an OpenAI-style embedding client does: one POST per call, a timeout, and an exception for
/// any failure (no retries, no circuit breaker: those are the real provider's, in issue 3).
/// </summary>
internal sealed class HttpEmbeddingGenerator(HttpClient http) : IEmbeddingGenerator<string, Embedding<float>>
{
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync("embeddings", new { model = "stub", input = values.ToArray() }, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var data = body.RootElement.GetProperty("data").EnumerateArray()
            .OrderBy(d => d.GetProperty("index").GetInt32())
            .Select(d => new Embedding<float>(d.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray()));
        return [.. data];
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
