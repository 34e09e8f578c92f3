using System.Diagnostics;
using StackExchange.Redis;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 8: 50,000 query requests posted at once. Every one is answered or explicitly shed
/// (deadline passed), the worker's memory stays bounded, and the request stream is trimmed only of
/// entries that every consumer group has finished (a second, lagging group holds the trim back).
/// </summary>
public sealed class FloodTests(RedisServerFixture redis, FaultReport report)
{
    [Fact]
    public async Task FiftyThousandRequestsAtOnce_AllAnsweredOrShed_MemoryBounded_TrimmedOnlyWhenEveryGroupIsDone()
    {
        const int requests = 50_000;
        const int laggardTakes = 1_000;
        const string laggard = "audit";
        await using var scope = new TestScope(redis);
        // No reply cache: every answered request runs a real search.
        // The runner logs each trim pass at Debug: the test waits for passes instead of sleeping.
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks, ("Query:CacheEntries", "0"), ("Logging:LogLevel:StreamRag.Redis.ConsumerGroupRunner", "Debug")]);
        await scope.StartEmbedderAsync([.. SmallChunks]);
        await ProduceAsync(scope.Db, scope.Keys.DocumentEvents, Enumerable.Range(0, 200).Select(i => Upsert(i)));
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(60));

        var stream = scope.Keys.QueryRequests;
        await using var replies = await ReplyCollector.StartAsync(redis.Connection, $"{scope.Prefix}:replies");
        await using var worker = WorkerProcess.Start("Query", settings);
        // A second consumer group on the request stream (say an audit trail) that lags behind.
        await scope.Db.StreamCreateConsumerGroupAsync(stream, laggard, "0-0", createStream: true);
        await EventuallyAsync(async () => await GroupAsync(scope.Db, stream, scope.Keys.QueryGroup) is not null, "the worker has joined", TimeSpan.FromSeconds(30), () => worker.Output);
        var idleMemory = worker.MemoryBytes;

        // Every request carries a deadline a few seconds away: what cannot be answered by then is shed.
        var posted = Stopwatch.GetTimestamp();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(4);
        var ids = await ProduceAsync(scope.Db, stream,
            Enumerable.Range(0, requests).Select(i => Requests.Query($"r{i}", $"bees honey colony {i % 97} pollen", replies.Channel, k: 3, deadline: deadline)), slice: 5_000);
        var allPosted = Stopwatch.GetTimestamp();

        // The laggard reads its first 1,000 entries and sits on them, unacknowledged.
        var taken = await scope.Db.StreamReadGroupAsync(stream, laggard, "auditor", ">", laggardTakes);
        Assert.Equal(laggardTakes, taken.Length);

        var peakRedisMemory = 0L;
        await EventuallyAsync(async () =>
        {
            peakRedisMemory = Math.Max(peakRedisMemory, await UsedMemoryAsync());
            Assert.False(worker.HasExited, worker.Output);
            return replies.Answered == requests;
        }, "every request is answered or shed", TimeSpan.FromSeconds(150), () => $"{replies.Answered} of {requests}\n{worker.Output}");
        var done = replies.LastReplyAt;
        var peakWorkerMemory = worker.PeakMemoryBytes;

        var statuses = replies.All.Select(r => ReplyCollector.Status(r.Replies[0])).GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        var (twice, conflicting) = replies.Duplicates();

        // Everything is acknowledged by the workers, yet the laggard still needs every entry from its
        // first pending one on: the stream must keep them all (several trim passes run meanwhile).
        await WaitDrainedAsync(scope.Db, stream, scope.Keys.QueryGroup, TimeSpan.FromSeconds(30));
        var heldBack = $"Trimmed {stream} below {ids[0]}:";
        var passesAtDrain = TrimPasses();
        await EventuallyAsync(() => Task.FromResult(TrimPasses() >= passesAtDrain + 2), "two trim passes have run since the workers finished", TimeSpan.FromSeconds(20), () => worker.Output);
        var lengthWhileLaggardPending = await scope.Db.StreamLengthAsync(stream);
        var firstKept = (await scope.Db.StreamRangeAsync(stream, "-", "+", 1)).Single().Id;

        // The laggard acknowledges what it read: entries it has not been delivered yet must stay.
        await scope.Db.StreamAcknowledgeAsync(stream, laggard, taken.Select(e => e.Id).ToArray());
        await EventuallyAsync(async () => await FirstIdAsync(stream) > StreamId(ids[0]), "the acknowledged part is trimmed", TimeSpan.FromSeconds(20));
        var firstAfterPartialAck = await FirstIdAsync(stream);
        var firstUndelivered = StreamId(ids[laggardTakes]);

        // The laggard catches up: now the whole stream can go.
        for (var left = requests - laggardTakes; left > 0;)
        {
            var more = await scope.Db.StreamReadGroupAsync(stream, laggard, "auditor", ">", 10_000);
            await scope.Db.StreamAcknowledgeAsync(stream, laggard, more.Select(e => e.Id).ToArray());
            left -= more.Length;
        }

        await EventuallyAsync(async () => await scope.Db.StreamLengthAsync(stream) <= 200, "the stream is trimmed once every group is done", TimeSpan.FromSeconds(20));
        var finalLength = await scope.Db.StreamLengthAsync(stream);

        await report.WriteAsync(new FaultRow(
            "8 flood",
            $"{requests:N0} requests posted at once (in {Between(posted, allPosted)} s), deadline 4 s; 1 query worker process, no reply cache; a second consumer group lagging",
            "flood; a consumer group that holds 1,000 entries unacknowledged, then catches up",
            requests - replies.Answered,
            conflicting,
            Between(posted, done),
            $"all {replies.Answered:N0} settled {Between(posted, done)} s after the first post: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value:N0}"))}; answered twice {twice}; "
            + $"worker memory {idleMemory / 1048576} MiB idle, peak {peakWorkerMemory / 1048576} MiB; Redis used_memory peak {peakRedisMemory / 1048576} MiB; "
            + $"stream length with the laggard holding its first entry: {lengthWhileLaggardPending:N0}, after it caught up: {finalLength}"));

        Assert.Equal(requests, replies.Answered);
        Assert.Equal(0, conflicting);
        Assert.All(statuses.Keys, s => Assert.True(s is "ok" or "deadline_exceeded", $"unexpected status {s}"));
        Assert.True(statuses.GetValueOrDefault("ok") > 0, "some requests should be answered");
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters));
        // Bounded memory: MaxInFlight caps what the worker holds, whatever the backlog.
        Assert.True(peakWorkerMemory < 512L * 1024 * 1024, $"worker peak memory {peakWorkerMemory / 1048576} MiB");
        Assert.Equal(requests, lengthWhileLaggardPending);
        Assert.Equal(ids[0], firstKept);
        Assert.True(firstAfterPartialAck <= firstUndelivered, $"trimmed past the laggard's first undelivered entry: first kept {firstAfterPartialAck}, first undelivered {firstUndelivered}");
        Assert.True(finalLength <= 200, $"stream length {finalLength}");

        int TrimPasses() => worker.Output.Split('\n').Count(line => line.Contains(heldBack, StringComparison.Ordinal));

        async Task<long> UsedMemoryAsync()
        {
            var info = (await redis.Connection.GetServers()[0].InfoAsync("memory")).SelectMany(g => g).First(p => p.Key == "used_memory");
            return long.Parse(info.Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        async Task<UInt128> FirstIdAsync(RedisKey key) => StreamId((await scope.Db.StreamRangeAsync(key, "-", "+", 1)).Single().Id);
    }

    /// <summary>A stream id as one comparable number (ms in the high part, sequence in the low).</summary>
    private static UInt128 StreamId(RedisValue id)
    {
        var parsed = Redis.StreamId.Parse(id);
        return ((UInt128)parsed.Milliseconds << 64) | parsed.Sequence;
    }
}
