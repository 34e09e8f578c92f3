using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Embedding;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests;

/// <summary>The embedder host against a real Redis: each behaviour of issue 3 with a test that fails without it.</summary>
public sealed class EmbedderTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NameValueEntry[] Upsert(string id, long version, string content, string source = "wiki", string tags = "") =>
        [new("id", id), new("version", version), new("content", content), new("source", source), new("tags", tags)];

    private static async Task WaitIndexedAsync(IPartitionMetadata index, string id, long version, string tenant = "default") =>
        await TestScope.EventuallyAsync(async () => (await index.GetStateAsync(tenant, id, Ct))?.Version >= version, $"{id} v{version} is indexed");

    private static async Task WaitDrainedAsync(TestScope scope, string group = "embedders") =>
        await TestScope.EventuallyAsync(async () =>
        {
            var info = (await scope.Db.StreamGroupInfoAsync(scope.Keys.DocumentEvents)).FirstOrDefault(g => g.Name == group);
            return info.Name is not null && info.PendingMessageCount == 0 && (info.Lag ?? 0) == 0;
        }, "every event is processed and acknowledged");

    [Fact]
    [ClusterScenario]
    public async Task Update_ReplacesChunks_NoStaleChunkLeft()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Chunking:Size", "8"), ("Chunking:Overlap", "2"));
        var index = scope.Index();
        var longText = string.Join(' ', Enumerable.Range(0, 30).Select(i => $"bees{i} honey{i}"));

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("doc", 1, longText));
        await WaitIndexedAsync(index, "doc", 1);
        var before = (await index.GetStateAsync("default", "doc", Ct))!.Chunks;
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("doc", 2, "volcano lava"));
        await WaitIndexedAsync(index, "doc", 2);

        Assert.True(before > 3, $"the long text should make several chunks, made {before}");
        var vset = scope.Keys.PartitionOf("default", "doc").VectorSet;
        Assert.Equal(1, await scope.Db.VectorSetLengthAsync(vset));
        var hit = Assert.Single(await index.SearchAsync(new VectorQuery("default", TestScope.Embedder.Embed("bees honey"), 10, Contracts.QueryFilters.None, null), Ct));
        Assert.Equal("volcano lava", hit.Content);
    }

    [Fact]
    public async Task SourceRetention_SetsTheExpiry_UnlessTheEventGivesOne()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Retention:DefaultBySource:news", "01:00:00"));
        var index = scope.Index();
        var ts = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "n1"), new("version", 1), new("source", "news"), new("timestamp", ts.ToUnixTimeMilliseconds()), new("content", "headline")]);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "n2"), new("version", 1), new("source", "news"), new("timestamp", ts.ToUnixTimeMilliseconds()), new("ttl", "60"), new("content", "flash")]);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "w1"), new("version", 1), new("source", "wiki"), new("content", "evergreen")]);
        await WaitIndexedAsync(index, "n1", 1);
        await WaitIndexedAsync(index, "n2", 1);
        await WaitIndexedAsync(index, "w1", 1);

        var due = await index.DueForExpiryAsync("default", DateTimeOffset.MaxValue, 10, Ct);
        Assert.Equal([("n2", ts.AddSeconds(60)), ("n1", ts.AddHours(1))], due.Select(d => (d.Id, d.ExpiresAt)));
    }

    [Fact]
    [ClusterScenario]
    public async Task OlderVersion_IsAcknowledgedAndIgnored()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        var index = scope.Index();

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("doc", 5, "the newest text"));
        await WaitIndexedAsync(index, "doc", 5);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("doc", 3, "an old text delivered late"));
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("op", "delete"), new("id", "doc"), new("version", "4")]);
        await WaitDrainedAsync(scope);

        var state = await index.GetStateAsync("default", "doc", Ct);
        Assert.Equal((5L, false), (state!.Version, state.Deleted));
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
    }

    [Fact]
    public async Task UnchangedContent_MakesNoEmbeddingCall_ButUpdatesMetadata()
    {
        await using var scope = new TestScope(redis);
        var counting = new CountingEmbeddingGenerator(new HashingEmbeddingGenerator(384));
        await scope.StartAsync(b =>
        {
            Embedder.EmbedderExtensions.AddEmbedderWorker(b);
            b.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(counting);
        });
        var index = scope.Index();
        const int n = 200;
        for (var i = 0; i < n; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"d{i}", 1, $"document number {i} about bees"), flags: CommandFlags.FireAndForget);
        }

        await WaitDrainedAsync(scope);
        var textsAfterFirstPass = counting.Texts;
        for (var i = 0; i < n; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"d{i}", 2, $"document number {i} about bees", source: "crm", tags: "moved"), flags: CommandFlags.FireAndForget);
        }

        await WaitDrainedAsync(scope);

        Assert.Equal(n, textsAfterFirstPass);
        Assert.Equal(n, counting.Texts);
        var state = await index.GetStateAsync("default", "d7", Ct);
        Assert.Equal(2, state!.Version);
        var hits = await index.SearchAsync(new VectorQuery("default", TestScope.Embedder.Embed("document number 7 about bees"), 3,
            Contracts.QueryFilters.None with { Sources = ["crm"], TagsAll = ["moved"] }, null), Ct);
        Assert.Equal("d7", hits[0].DocumentId);
    }

    [Fact]
    [ClusterScenario]
    public async Task PoisonEvents_AreDeadLetteredWithReason_WhileGoodOnesFlow()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync(("Embedder:MaxEmbeddingBatch", "16"));
        var index = scope.Index();
        var poison = new NameValueEntry[][]
        {
            [new("version", "1"), new("content", "no id")],
            [new("id", "a"), new("version", "one"), new("content", "bad version")],
            [new("id", "b"), new("version", "1"), new("content", new RedisValue(Convert.ToBase64String(new byte[10]))), new("colour", "red")],
            [new("id", "c"), new("version", "1"), new("content", (RedisValue)new byte[] { 0xff, 0xfe, 0x41 })],
            [new("id", "d"), new("version", "1"), new("content", new string('x', 1_000_001))],
            [new("id", "e"), new("version", "1"), new("content", "fine"), new("source", "bad source with spaces")],
        };
        for (var i = 0; i < 20; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"good{i}", 1, $"good document {i}"));
            if (i < poison.Length)
            {
                await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, poison[i]);
            }
        }

        await WaitDrainedAsync(scope);

        for (var i = 0; i < 20; i++)
        {
            Assert.NotNull(await index.GetStateAsync("default", $"good{i}", Ct));
        }

        var dead = await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters);
        var reasons = dead.Select(d => (string)d[DeadLetterFields.Reason]!).ToArray();
        Assert.True(poison.Length == dead.Length, string.Join("\n", reasons));
        Assert.Contains(reasons, r => r.StartsWith("missing_field", StringComparison.Ordinal) && r.Contains("'id'", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("invalid_field", StringComparison.Ordinal) && r.Contains("version", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("unknown_field", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("invalid_utf8", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("too_large", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("invalid_field", StringComparison.Ordinal) && r.Contains("source", StringComparison.Ordinal));
        Assert.All(dead, d => Assert.False(d[DeadLetterFields.Id].IsNull));
    }

    /// <summary>
    /// Issue 12, defect 1: these two upserts (within the documented limits) threw out of the parser,
    /// and their whole batch was retried forever: no dead letter, the valid events in it never
    /// indexed, the stream never trimmed again.
    /// </summary>
    [Fact]
    public async Task PoisonExpiryUpserts_InOneBatchWithValidEvents_AreDeadLetteredWithAReason_TheRestIndexed_AndTheStreamTrimmed()
    {
        await using var scope = new TestScope(redis);
        const int valid = 200;
        NameValueEntry[][] poison =
        [
            [new("id", "poison-ms"), new("version", 1), new("content", "expires past year 9999"), new("timestamp", "253402300799999"), new("ttl", "3153600000")],
            [new("id", "poison-iso"), new("version", 1), new("content", "expires past year 9999"), new("timestamp", "9999-12-31T23:59:59Z"), new("ttl", "1")],
        ];
        // Written before the embedder starts, so its first read (up to 256 entries) takes them all as one batch.
        for (var i = 0; i < valid; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"d{i}", 1, $"valid document {i} about honey"));
            if (i % 100 == 50)
            {
                await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, poison[i / 100]);
            }
        }

        await scope.StartEmbedderAsync();
        await WaitDrainedAsync(scope);

        var index = scope.Index();
        for (var i = 0; i < valid; i++)
        {
            Assert.NotNull(await index.GetStateAsync("default", $"d{i}", Ct));
        }

        var dead = await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters);
        Assert.Equal(["poison-ms", "poison-iso"], dead.Select(d => (string)d["id"]!));
        Assert.All(dead, d => Assert.StartsWith("invalid_field: ttl", (string)d[DeadLetterFields.Reason]!, StringComparison.Ordinal));
        Assert.Null(await index.GetStateAsync("default", "poison-ms", Ct));
        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(scope.Keys.DocumentEvents) < valid,
            "the stream is trimmed of what the group has finished");
    }

    /// <summary>
    /// Issue 12, defect 2: an explicit id past year 9999 made reading its time throw; every later
    /// <c>*</c> id is past it too, so the stream was dead for good.
    /// </summary>
    [Fact]
    public async Task StreamIdPastYear9999_ItAndEveryLaterEntryAreIndexed()
    {
        await using var scope = new TestScope(redis);
        var before = DateTimeOffset.UtcNow;
        var stamped = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("first", 1, "written with an explicit id past year 9999"), messageId: "253402300800000-0");
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [.. Upsert("later", 1, "a later entry whose id follows it"), new("ttl", "3600")]);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [.. Upsert("stamped", 1, "a later entry with its own timestamp"), new("timestamp", stamped.ToUnixTimeMilliseconds())]);
        var ids = (await scope.Db.StreamRangeAsync(scope.Keys.DocumentEvents)).Select(e => (string)e.Id!).ToArray();
        Assert.Equal(["253402300800000-0", "253402300800000-1", "253402300800000-2"], ids);

        await scope.StartEmbedderAsync();
        await WaitDrainedAsync(scope);

        var index = scope.Index();
        Assert.Empty(await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters));
        foreach (var id in new[] { "first", "later", "stamped" })
        {
            Assert.NotNull(await index.GetStateAsync("default", id, Ct));
        }

        // No arrival time in the id: the default timestamp is when the embedder took the event up.
        var hits = await index.SearchAsync(new VectorQuery("default", TestScope.Embedder.Embed("explicit id past year 9999"), 3, Contracts.QueryFilters.None, null), Ct);
        var first = hits.Single(h => h.DocumentId == "first");
        Assert.InRange(first.Timestamp, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(stamped, hits.Single(h => h.DocumentId == "stamped").Timestamp);
        var expiry = Assert.Single(await index.DueForExpiryAsync("default", DateTimeOffset.MaxValue, 10, Ct));
        Assert.Equal("later", expiry.Id);
        Assert.InRange(expiry.ExpiresAt, before.AddHours(1).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(1));
    }

    [Fact]
    public async Task WrongDimensionFromProvider_IsDeadLettered_NeverWritten()
    {
        await using var scope = new TestScope(redis);
        await scope.StartAsync(b =>
        {
            Embedder.EmbedderExtensions.AddEmbedderWorker(b);
            b.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new HashingEmbeddingGenerator(100));
        });

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("doc", 1, "text"));
        await WaitDrainedAsync(scope);

        var dead = Assert.Single(await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeadLetters));
        Assert.Contains("100 dimensions but the index holds 384", (string)dead[DeadLetterFields.Reason]!, StringComparison.Ordinal);
        Assert.Null(await scope.Index().GetStateAsync("default", "doc", Ct));
    }

    [Fact]
    public async Task ProviderDown_EventsStayPending_ThenAllIndexedWhenItReturns()
    {
        await using var scope = new TestScope(redis);
        var flaky = new CountingEmbeddingGenerator(new HashingEmbeddingGenerator(384)) { Failing = true };
        await scope.StartAsync(b =>
        {
            Embedder.EmbedderExtensions.AddEmbedderWorker(b);
            b.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(flaky);
        });
        for (var i = 0; i < 30; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"d{i}", 1, $"text {i}"));
        }

        // More failures than Consumer:MaxAttempts (5): an outage must not count against the events.
        await TestScope.EventuallyAsync(() => Task.FromResult(flaky.Failures >= 8), "the embedder has tried and failed several times");
        var pending = await scope.Db.StreamPendingAsync(scope.Keys.DocumentEvents, "embedders");
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
        Assert.True(pending.PendingMessageCount > 0, "events must stay pending (not acknowledged) while the provider is down");

        flaky.Failing = false;
        await WaitDrainedAsync(scope);

        var index = scope.Index();
        for (var i = 0; i < 30; i++)
        {
            Assert.NotNull(await index.GetStateAsync("default", $"d{i}", Ct));
        }

        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
    }

    [Fact]
    public async Task BackPressure_PausesAboveThreshold_AndResumesBelow()
    {
        await using var server = await RedisServerFixture.StartDedicatedAsync("--maxmemory", "40mb");
        await using var scope = new TestScope(server);
        var host = await scope.StartEmbedderAsync(("BackPressure:PollInterval", "00:00:00.050"));
        var gate = host.Services.GetRequiredService<MemoryPressureGate>();
        var index = scope.Index();

        // Fill memory past the 80% mark (but below maxmemory, so writes still work).
        var filler = new byte[256 * 1024];
        var fillers = 0;
        while (await MemoryRatioAsync(server) < 0.85)
        {
            await scope.Db.StringSetAsync($"{scope.Prefix}:filler:{fillers++}", filler);
        }

        await TestScope.EventuallyAsync(() => Task.FromResult(gate.IsPaused), "the embedder has measured the memory and paused");
        for (var i = 0; i < 10; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"d{i}", 1, $"text {i}"));
        }

        // Two more fillers: once the gate reports the higher ratio, it has measured again since the
        // events arrived, and kept intake closed (the read loop asks it before every read).
        var measured = gate.MemoryRatio;
        for (var i = 0; i < 2; i++)
        {
            await scope.Db.StringSetAsync($"{scope.Prefix}:filler:{fillers++}", filler);
        }

        await TestScope.EventuallyAsync(() => Task.FromResult(gate.MemoryRatio > measured + 0.008), "the gate has measured again after the events arrived");
        Assert.True(await index.GetStateAsync("default", "d0", Ct) is null, $"ratio {await MemoryRatioAsync(server)} fillers {fillers} gate {gate.MemoryRatio} {gate.IsPaused}");
        Assert.True(gate.IsPaused);
        var group = (await scope.Db.StreamGroupInfoAsync(scope.Keys.DocumentEvents)).Single();
        Assert.Equal(10, (group.Lag ?? 0) + group.PendingMessageCount); // nothing acknowledged, nothing lost

        for (var i = 0; i < fillers; i++)
        {
            await scope.Db.KeyDeleteAsync($"{scope.Prefix}:filler:{i}");
        }

        await WaitDrainedAsync(scope);
        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await index.GetStateAsync("default", $"d{i}", Ct));
        }
    }

    private static async Task<double> MemoryRatioAsync(ITestRedisServer server)
    {
        var info = (await server.Connection.GetServers()[0].InfoAsync("memory")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return double.Parse(info["used_memory"], System.Globalization.CultureInfo.InvariantCulture) / double.Parse(info["maxmemory"], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task TwoEmbedderProcesses_OneKilledMidBatch_EveryEventIndexedExactlyOnce()
    {
        await using var scope = new TestScope(redis);
        var settings = scope.Settings(("Consumer:ClaimIdle", "00:00:01"), ("Consumer:ClaimInterval", "00:00:00.250"), ("Chunking:Size", "8"), ("Chunking:Overlap", "2"));
        await using var a = WorkerProcess.Start("Embedder", settings);
        await using var b = WorkerProcess.Start("Embedder", settings);
        const int n = 3000;
        var batch = scope.Db.CreateBatch();
        for (var i = 0; i < n; i++)
        {
            _ = batch.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"d{i}", 1, $"document {i} with enough words in it to make the chunker cut it into two passages"));
        }

        batch.Execute();
        async Task<long> VectorsAsync() =>
            (await Task.WhenAll(scope.Keys.PartitionsOf("default").Select(p => scope.Db.VectorSetLengthAsync(p.VectorSet)))).Sum();
        await TestScope.EventuallyAsync(async () =>
        {
            Assert.False(a.HasExited || b.HasExited, $"a worker exited early:\n{a.Output}\n{b.Output}");
            return await VectorsAsync() > 600;
        }, "ingestion is under way", TimeSpan.FromSeconds(60));
        await a.KillAsync();

        await TestScope.EventuallyAsync(async () =>
        {
            var info = (await scope.Db.StreamGroupInfoAsync(scope.Keys.DocumentEvents)).Single();
            return info.PendingMessageCount == 0 && info.Lag == 0;
        }, "the survivor reclaims the killed worker's entries and finishes", TimeSpan.FromSeconds(90));

        var index = scope.Index();
        var chunks = 0L;
        for (var i = 0; i < n; i++)
        {
            var state = await index.GetStateAsync("default", $"d{i}", Ct);
            Assert.True(state is { Version: 1, Deleted: false }, $"d{i} missing");
            // Every passage but the first is the same in all documents: past Index:MaxDuplicatePassages
            // copies it is stored unlinked, and the document hash counts it.
            chunks += state!.Chunks - (long)await scope.Db.HashGetAsync(scope.Keys.PartitionOf("default", $"d{i}").Document($"d{i}"), "unlinked");
        }

        // No duplicate chunk: the vector set holds exactly the linked chunks the document hashes account for.
        Assert.Equal(chunks, await VectorsAsync());
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
        Assert.False(b.HasExited, b.Output);
    }
}

/// <summary>Wraps a real generator to count the texts it embeds, and to fail on demand (a provider outage, as the real provider reports one).</summary>
internal sealed class CountingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private int texts;
    private int failures;

    public bool Failing { get; set; }

    public int Texts => Volatile.Read(ref texts);

    public int Failures => Volatile.Read(ref failures);

    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Failing)
        {
            Interlocked.Increment(ref failures);
            // What the real provider throws once its own retries are spent (docs/providers.md).
            throw new EmbeddingProviderUnavailableException("provider unavailable (simulated outage)", null, retryAfter: null, circuitOpen: false);
        }

        var list = values.ToList();
        Interlocked.Add(ref texts, list.Count);
        return base.GenerateAsync(list, options, cancellationToken);
    }
}
