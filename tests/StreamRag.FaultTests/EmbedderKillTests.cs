using System.Diagnostics;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>Scenario 1: the embedder is SIGKILLed in the middle of a large ingestion and restarted.</summary>
public sealed class EmbedderKillTests(RedisServerFixture redis, FaultReport report)
{
    [Fact]
    public async Task EmbedderSigkilledMidIngestion_Restarted_EveryEventIndexedExactlyOnce()
    {
        const int n = 20_000;
        await using var scope = new TestScope(redis);
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks]);
        var events = scope.Keys.DocumentEvents;
        var group = scope.Keys.EmbedderGroup;
        var vset = scope.Keys.PartitionOf("default", "d0").VectorSet;

        await using var first = WorkerProcess.Start("Embedder", settings);
        var produced = await ProduceAsync(scope.Db, events, Enumerable.Range(0, n).Select(i => Upsert(i)));
        Assert.Equal(n, produced.Length);

        // Kill once a good part is indexed, while the embedder still holds a full window of entries in flight.
        long pendingAtKill = 0;
        await EventuallyAsync(async () =>
        {
            Assert.False(first.HasExited, first.Output);
            pendingAtKill = (await GroupAsync(scope.Db, events, group))?.PendingMessageCount ?? 0;
            return pendingAtKill > 0 && await scope.Db.VectorSetLengthAsync(vset) > n / 2;
        }, "ingestion is well under way with entries in flight", TimeSpan.FromSeconds(120));
        await first.KillAsync();
        var killed = Stopwatch.GetTimestamp();
        var indexedAtKill = await scope.Db.VectorSetLengthAsync(vset);

        await using var second = WorkerProcess.Start("Embedder", settings);
        long progressed = 0, reclaimed = 0;
        await EventuallyAsync(async () =>
        {
            progressed = progressed == 0 && await scope.Db.VectorSetLengthAsync(vset) > indexedAtKill ? Stopwatch.GetTimestamp() : progressed;
            var consumers = await scope.Db.StreamConsumerInfoAsync(events, group);
            var deadStillHolds = consumers.Where(c => c.PendingMessageCount > 0).Select(c => c.Name).Any(name => name?.Contains($"-{first.Id}-", StringComparison.Ordinal) == true);
            reclaimed = reclaimed == 0 && !deadStillHolds ? Stopwatch.GetTimestamp() : reclaimed;
            var info = await GroupAsync(scope.Db, events, group);
            return progressed != 0 && reclaimed != 0 && info is { PendingMessageCount: 0 } g && (g.Lag ?? 0) == 0;
        }, "the restarted embedder reclaims the killed one's entries and finishes", TimeSpan.FromSeconds(180), () => second.Output);
        var drained = Stopwatch.GetTimestamp();

        var (missing, extra) = await CheckIndexedExactlyOnceAsync(scope.Index(), scope.Db, scope.Keys, n);
        var dead = await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters);
        await report.WriteAsync(new FaultRow(
            "1 embedder SIGKILL + restart",
            $"{n:N0} upsert events (2 passages each), 1 embedder process",
            $"SIGKILL at {indexedAtKill:N0} passages indexed, {pendingAtKill} entries in flight; new process started",
            missing,
            extra,
            Between(killed, progressed),
            $"reclaimed all in-flight entries {Between(killed, reclaimed)} s after the kill (Consumer:ClaimIdle 1 s); drained {Between(killed, drained)} s after; dead-lettered {dead}"));

        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal(0, dead);
        Assert.True(pendingAtKill > 0, "the kill should catch entries in flight");
        Assert.False(second.HasExited, second.Output);
    }
}
