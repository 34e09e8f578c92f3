using System.Diagnostics;
using StackExchange.Redis;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 6: Redis reaches maxmemory during ingestion. The embedder pauses its intake (back-pressure)
/// before that, producers get a clear OOM they can retry, nothing is evicted or lost, and ingestion
/// resumes by itself once memory is freed (here: the operator raises maxmemory).
/// </summary>
public sealed class MemoryPressureTests(FaultReport report)
{
    [Fact]
    public async Task MaxmemoryReachedDuringIngestion_BackPressure_NoEviction_NoLoss_Resumes()
    {
        await using var server = await RedisServerFixture.StartDedicatedAsync("--maxmemory", "32mb", "--maxmemory-policy", "noeviction");
        await using var scope = new TestScope(server);
        var settings = scope.Settings([.. FastReclaim, ("Index:EfConstruction", "32"), ("BackPressure:PollInterval", "00:00:00.100"),
            ("Logging:LogLevel:StreamRag.Redis.MemoryPressureGate", "Information")]);
        await using var embedder = WorkerProcess.Start("Embedder", settings);
        var db = scope.Db;

        // Its consumer group must exist before memory is full: creating it is a write, refused with OOM.
        await EventuallyAsync(async () => await db.KeyExistsAsync(scope.Keys.DocumentEvents)
            && (await db.StreamGroupInfoAsync(scope.Keys.DocumentEvents)).Any(g => g.Name == scope.Keys.EmbedderGroup), "the embedder has created its group", TimeSpan.FromSeconds(60), () => embedder.Output);

        // About 1.3 kB of text per document (one passage): the index and the stream fill memory fast.
        static string Text(int i) => string.Join(' ', Enumerable.Range(0, 150).Select(w => $"w{(i * 31 + w) % 5000}")) + $" doc{i}";
        NameValueEntry[] Event(int i) => [new("id", $"d{i}"), new("version", 1), new("content", Text(i))];

        // Produce until Redis refuses writes with OOM a few slices in a row.
        var acknowledged = new HashSet<int>();
        var refused = new List<int>();
        var oomErrors = 0;
        var next = 0;
        long firstOom = 0;
        while (refused.Count < 600 && next < 200_000)
        {
            var slice = Enumerable.Range(next, 200).ToArray();
            next += slice.Length;
            var sent = slice.Select(i => (i, Task: db.StreamAddAsync(scope.Keys.DocumentEvents, Event(i)))).ToArray();
            foreach (var (i, task) in sent)
            {
                try
                {
                    await task;
                    acknowledged.Add(i);
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("OOM", StringComparison.Ordinal))
                {
                    oomErrors++;
                    refused.Add(i);
                    firstOom = firstOom == 0 ? Stopwatch.GetTimestamp() : firstOom;
                }
            }

            Assert.False(embedder.HasExited, embedder.Output);
        }

        Assert.True(refused.Count > 0, "Redis should have reached maxmemory");
        await EventuallyAsync(() => Task.FromResult(embedder.Output.Contains("intake paused", StringComparison.Ordinal)), "the embedder pauses its intake", TimeSpan.FromSeconds(20), () => embedder.Output);
        var lagWhilePaused = (await GroupAsync(db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup))!.Value.Lag ?? 0;
        var memory = await InfoAsync(server, "memory");
        var usedAtFull = long.Parse(memory["used_memory"], System.Globalization.CultureInfo.InvariantCulture);

        // The operator frees room: ingestion resumes by itself, and the producer's refused events go in.
        await server.Server.ExecuteAsync("CONFIG", "SET", "maxmemory", "256mb");
        var freed = Stopwatch.GetTimestamp();
        var indexedAtFree = await db.VectorSetLengthAsync(scope.Keys.PartitionOf("default", "d0").VectorSet);
        foreach (var i in refused)
        {
            await db.StreamAddAsync(scope.Keys.DocumentEvents, Event(i));
            acknowledged.Add(i);
        }

        long resumed = 0;
        await EventuallyAsync(async () =>
        {
            resumed = resumed == 0 && await db.VectorSetLengthAsync(scope.Keys.PartitionOf("default", "d0").VectorSet) > indexedAtFree ? Stopwatch.GetTimestamp() : resumed;
            return resumed != 0;
        }, "ingestion resumes", TimeSpan.FromSeconds(30), () => embedder.Output);
        await WaitDrainedAsync(db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(120), () => embedder.Output);
        var drained = Stopwatch.GetTimestamp();

        var index = scope.Index();
        var states = await Task.WhenAll(acknowledged.Select(i => index.GetStateAsync("default", $"d{i}", Ct)));
        var missing = states.Count(s => s is not { Version: 1, Chunks: 1, Deleted: false });
        var extra = await db.VectorSetLengthAsync(scope.Keys.PartitionOf("default", "d0").VectorSet) - states.Count(s => s is not null);
        var evicted = (await InfoAsync(server, "stats"))["evicted_keys"];
        var dead = await db.StreamLengthAsync(scope.Keys.DocumentDeadLetters);
        await report.WriteAsync(new FaultRow(
            "6 memory pressure",
            $"{acknowledged.Count:N0} documents of ~1.3 kB produced as fast as Redis takes them; maxmemory 32 MB, noeviction",
            $"maxmemory reached ({oomErrors} XADDs refused with OOM, retried later); intake paused at 80 % with {lagWhilePaused:N0} events waiting; operator raised maxmemory to 256 MB",
            missing,
            extra,
            Between(freed, resumed),
            $"used_memory at the ceiling {usedAtFull / 1048576.0:0.0} MB; evicted keys {evicted}; dead-lettered {dead}; resumed {Between(freed, resumed)} s and drained {Between(freed, drained)} s after memory was freed; "
            + $"embedder logged pause: {embedder.Output.Contains("intake paused", StringComparison.Ordinal)}, resume: {embedder.Output.Contains("intake resumed", StringComparison.Ordinal)}"));

        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal("0", evicted);
        Assert.Equal(0, dead);
        Assert.True(lagWhilePaused > 0, "events should wait in the stream while intake is paused");
        Assert.Contains("intake resumed", embedder.Output, StringComparison.Ordinal);
        Assert.False(embedder.HasExited, embedder.Output);
    }

    private static async Task<Dictionary<string, string>> InfoAsync(DedicatedRedisServer server, string section) =>
        (await server.Server.InfoAsync(section)).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}
