using System.Diagnostics;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>Scenario 3: a query worker is SIGKILLed with requests queued; a second worker answers them.</summary>
public sealed class QueryWorkerKillTests(RedisServerFixture redis, FaultReport report)
{
    [Fact]
    public async Task QueryWorkerSigkilledWithRequestsQueued_SecondWorkerAnswersThem_NoConflictingDuplicates()
    {
        const int docs = 300;
        const int requests = 3_000;
        await using var scope = new TestScope(redis);
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks, ("Query:CacheEntries", "0")]);
        await scope.StartEmbedderAsync([.. SmallChunks]);
        await ProduceAsync(scope.Db, scope.Keys.DocumentEvents, Enumerable.Range(0, docs).Select(i => Upsert(i)));
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(60));

        await using var replies = await ReplyCollector.StartAsync(redis.Connection, $"{scope.Prefix}:replies");
        await using var first = WorkerProcess.Start("Query", settings);
        // Queue every request at once: the first worker takes up to MaxInFlight of them at a time.
        await ProduceAsync(scope.Db, scope.Keys.QueryRequests,
            Enumerable.Range(0, requests).Select(i => Requests.Query($"r{i}", $"bees honey colony {i % 97} pollen", replies.Channel, k: 3)));
        await EventuallyAsync(() => Task.FromResult(replies.Answered >= requests / 5), "the first worker is answering", TimeSpan.FromSeconds(60), () => first.Output);

        var info = await GroupAsync(scope.Db, scope.Keys.QueryRequests, scope.Keys.QueryGroup);
        var queued = (info!.Value.Lag ?? 0) + info.Value.PendingMessageCount;
        var inFlight = info.Value.PendingMessageCount;
        await first.KillAsync();
        var killed = Stopwatch.GetTimestamp();
        var answeredAtKill = replies.Answered;

        await using var second = WorkerProcess.Start("Query", settings);
        await EventuallyAsync(() => Task.FromResult(replies.Answered == requests), "every request is answered", TimeSpan.FromSeconds(120),
            () => $"{replies.Answered} answered\n{second.Output}");
        var allAnswered = replies.LastReplyAt;
        await WaitDrainedAsync(scope.Db, scope.Keys.QueryRequests, scope.Keys.QueryGroup, TimeSpan.FromSeconds(30));
        // Replies published just before the kill whose entries were not yet acknowledged are answered
        // again; every reply is published before its acknowledgement, so after the drain they are all out.
        await replies.FlushAsync(scope.Db, TimeSpan.FromSeconds(10));

        var (twice, conflicting) = replies.Duplicates();
        var statuses = replies.All.SelectMany(r => r.Replies).GroupBy(ReplyCollector.Status).ToDictionary(g => g.Key, g => g.Count());
        await report.WriteAsync(new FaultRow(
            "3 query worker SIGKILL, second worker",
            $"{requests:N0} requests queued at once over {docs} documents",
            $"SIGKILL of the only worker after {answeredAtKill:N0} answers, {queued:N0} requests still queued ({inFlight} delivered to it); a second worker started",
            requests - replies.Answered,
            conflicting,
            Between(killed, allAnswered),
            $"first answer {Between(killed, replies.FirstReplyAfter(killed))} s after the kill (new process start-up and warm-up included); answered twice with identical results {twice} (replied, then killed before XACK); statuses {string.Join(", ", statuses.Select(s => $"{s.Key} {s.Value}"))}; dead-lettered {await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters)}"));

        Assert.Equal(requests, replies.Answered);
        Assert.Equal(0, conflicting);
        Assert.True(queued > 0, "requests should still be queued when the worker is killed");
        Assert.All(replies.All, r => Assert.Equal("ok", ReplyCollector.Status(r.Replies[0])));
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters));
    }
}
