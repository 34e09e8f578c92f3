using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamRag.Contracts;
using StreamRag.Embedding;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 5: the embedding provider misbehaves. The embedder runs the real <c>openai</c> provider
/// (OpenAI SDK behind its Polly pipeline: per-attempt timeout, retries, circuit breaker) against the
/// stub OpenAI server on loopback (tests/Shared/StubOpenAIServer.cs): 429 storms, 500s, hangs past
/// the timeout, malformed JSON, vectors of the wrong length, an outage. Nothing is lost, only what
/// can never succeed is dead-lettered, retries are bounded, and the circuit opens and closes.
/// </summary>
public sealed class ProviderFaultTests(RedisServerFixture redis, FaultReport report)
{
    /// <summary>Event ids of the provider pipeline's log (ProviderResilience).</summary>
    private const int Retrying = 1100, CircuitOpened = 1101, CircuitHalfOpened = 1102, CircuitClosed = 1103;

    private static (string Key, string Value)[] OpenAI(StubOpenAIServer stub, params (string Key, string Value)[] resilience) =>
    [
        ("Embedding:Provider", "openai"),
        ("Embedding:Model", "stub-embed"),
        ("Embedding:BaseUrl", stub.BaseUrl),
        ("Embedding:Dimensions", "384"),
        ("Embedding:Resilience:Timeout", "00:00:01"),
        ("Embedding:Resilience:RetryDelay", "00:00:00.010"),
        ("Embedding:Resilience:MaxRetryDelay", "00:00:00.100"),
        ("Logging:LogLevel:StreamRag.Embedding", "Information"),
        .. resilience,
    ];

    [Fact]
    public async Task ProviderFaults_NoLoss_DeadLetterOnlyWhatCanNeverSucceed()
    {
        const int n = 300;
        await using var stub = new StubOpenAIServer(dimensions: 384);
        stub.EnqueueEmbeddingFault([
            .. Enumerable.Repeat(StubFault.RateLimited("0"), 10), .. Enumerable.Repeat(StubFault.Error(500), 3),
            StubFault.Hang, StubFault.Hang, StubFault.MalformedJson, StubFault.MalformedJson]);

        await using var scope = new TestScope(redis);
        var host = await scope.StartEmbedderAsync([.. FastReclaim, .. SmallChunks, .. OpenAI(stub, ("Embedding:Resilience:BreakerBreakDuration", "00:00:01")), ("Embedder:MaxEmbeddingBatch", "64")]);
        var chunker = host.Services.GetRequiredService<IChunker>();

        // Every 60th document makes the stub answer with a vector of the wrong length: it can never be indexed.
        static bool Poisoned(int i) => i % 60 == 7;
        static string ContentOf(int i) => Poisoned(i) ? $"{StubOpenAIServer.WrongDimensionMarker} {Content(i)}" : Content(i);
        var started = Stopwatch.GetTimestamp();
        await ProduceAsync(scope.Db, scope.Keys.DocumentEvents, Enumerable.Range(0, n).Select(i => Poisoned(i)
            ? [new("id", $"d{i}"), new("version", 1), new("content", ContentOf(i))]
            : Upsert(i)));
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(120), () => $"stub served {stub.EmbeddingRequests.Count} requests");
        var drained = Stopwatch.GetTimestamp();

        var (missing, extra) = await IndexedExactlyOnceAsync(scope, chunker, Enumerable.Range(0, n).Where(i => !Poisoned(i)).Select(i => (i, ContentOf(i))).ToArray());
        var dead = await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters);
        var deadIds = dead.Select(d => (string)d["id"]!).Order(StringComparer.Ordinal).ToArray();
        var poisoned = Enumerable.Range(0, n).Where(Poisoned).Select(i => $"d{i}").Order(StringComparer.Ordinal).ToArray();

        await report.WriteAsync(new FaultRow(
            "5 embedding provider faults",
            $"{n} documents; embedder with the openai provider (1 s attempt timeout, retries, circuit breaker) against the stub OpenAI server",
            "10 × 429, 3 × 500, 2 hangs past the timeout, 2 malformed JSON bodies, wrong-length vectors for 5 documents",
            missing,
            extra,
            null,
            $"stub served {stub.EmbeddingRequests.Count} requests; all indexed {Between(started, drained)} s after the first event; dead-lettered {dead.Length} (the 5 wrong-length ones): {(dead.Length > 0 ? (string?)dead[0][DeadLetterFields.Reason] : "")}"));

        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal(poisoned, deadIds);
        Assert.All(dead, d => Assert.Contains("refused", (string?)d[DeadLetterFields.Reason], StringComparison.Ordinal));
        Assert.True(stub.EmbeddingRequests.Count > 17, "every queued fault was served");
    }

    [Fact]
    public async Task ProviderFaults_BoundedRetries_CircuitOpensAndCloses()
    {
        const int n = 40;
        const int maxRetries = 2;
        await using var stub = new StubOpenAIServer(dimensions: 384) { EmbeddingMode = StubFault.Error(503) };
        var log = new LogCapture();
        await using var scope = new TestScope(redis);
        var host = await scope.StartAsync(b =>
        {
            Embedder.EmbedderExtensions.AddEmbedderWorker(b);
            b.Logging.AddProvider(log);
        }, [.. FastReclaim, .. SmallChunks, .. OpenAI(stub,
            ("Embedding:Resilience:MaxRetries", maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Embedding:Resilience:BreakerMinimumThroughput", "4"),
            ("Embedding:Resilience:BreakerSamplingDuration", "00:00:10"),
            ("Embedding:Resilience:BreakerBreakDuration", "00:00:02"))]);

        var downAt = DateTimeOffset.UtcNow;
        await ProduceAsync(scope.Db, scope.Keys.DocumentEvents, Enumerable.Range(0, n).Select(i => Upsert(i)));
        await EventuallyAsync(() => Task.FromResult(log.Of(CircuitHalfOpened).Count > 0), "the circuit has opened and let a trial call through", TimeSpan.FromSeconds(60),
            () => string.Join("\n", log.Entries.Select(e => e.Message)));

        // Open: calls failed fast, none reached the provider until the trial call.
        var opened = log.Of(CircuitOpened)[0].At;
        var halfOpen = log.Of(CircuitHalfOpened)[0].At;
        var sentWhileOpen = stub.EmbeddingRequests.Count(r => r.At > opened.AddMilliseconds(200) && r.At < halfOpen);
        var attemptsLogged = log.Of(Retrying).Select(e => Convert.ToInt32(e.Values["Attempt"], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var pendingWhileDown = (await GroupAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup))!.Value.PendingMessageCount;
        var deadWhileDown = await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters);

        stub.EmbeddingMode = StubFault.None;
        var up = Stopwatch.GetTimestamp();
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(60), () => string.Join("\n", log.Entries.Select(e => e.Message)));
        await EventuallyAsync(() => Task.FromResult(log.Of(CircuitClosed).Count > 0), "the circuit has closed", TimeSpan.FromSeconds(10));
        var drained = Stopwatch.GetTimestamp();
        var (missing, extra) = await IndexedExactlyOnceAsync(scope, host.Services.GetRequiredService<IChunker>(), Enumerable.Range(0, n).Select(i => (i, Content(i))).ToArray());
        var dead = await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters);

        await report.WriteAsync(new FaultRow(
            "5 embedding provider outage (circuit breaker)",
            $"{n} documents; openai provider with {maxRetries} retries, breaker opening at 50 % failures of at least 4 calls, 2 s break",
            "the stub answers 503 to every embeddings request, then recovers",
            missing,
            extra,
            Between(up, drained),
            $"retry attempts logged up to {(attemptsLogged.Length > 0 ? attemptsLogged.Max() : 0)} (max {maxRetries}); circuit opened {(opened - downAt).TotalSeconds:0.000} s after the first event; "
            + $"requests sent while open: {sentWhileOpen}; pending while down {pendingWhileDown}, dead-lettered {deadWhileDown}; opened {log.Of(CircuitOpened).Count}×, closed {log.Of(CircuitClosed).Count}×"));

        Assert.NotEmpty(attemptsLogged);
        Assert.All(attemptsLogged, a => Assert.InRange(a, 1, maxRetries));
        Assert.Equal(0, sentWhileOpen);
        Assert.True(pendingWhileDown > 0, "the events wait, pending, while the provider is down");
        Assert.Equal(0, deadWhileDown);
        Assert.Equal(0, dead);
        Assert.Equal((0, 0L), (missing, extra));
    }

    /// <summary>
    /// Documents d{i} are indexed once at version 1, each with the passages the provider's own
    /// (token) chunker makes of its content, and the vector set holds exactly those passages.
    /// </summary>
    private static async Task<(int Missing, long Extra)> IndexedExactlyOnceAsync(TestScope scope, IChunker chunker, (int I, string Content)[] documents)
    {
        var index = scope.Index();
        var states = await Task.WhenAll(documents.Select(d => index.GetStateAsync("default", $"d{d.I}", Ct)));
        var missing = documents.Where((d, k) => states[k] is not { Version: 1, Deleted: false } s || s.Chunks != chunker.Split(d.Content).Count).Count();
        var stored = await scope.Db.VectorSetLengthAsync(scope.Keys.PartitionOf("default", "d0").VectorSet);
        return (missing, stored - states.Sum(s => s?.Chunks ?? 0));
    }
}
