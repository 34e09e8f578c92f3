using System.Diagnostics;
using StackExchange.Redis;
using StreamRag.Client;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 10: over a sustained run, the document and request streams stay bounded (the workers trim
/// what every group has finished), and a second, slow consumer group on the document stream never
/// misses an entry: nothing it has not acknowledged is ever trimmed.
/// </summary>
public sealed class StreamGrowthTests(RedisServerFixture redis, FaultReport report)
{
    [Fact]
    public async Task SustainedLoad_StreamsStayBounded_NoEntryTrimmedBeforeEveryGroupAcknowledgedIt()
    {
        var runFor = TimeSpan.FromSeconds(15);
        const string audit = "audit";
        await using var scope = new TestScope(redis);
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks]);
        var docs = scope.Keys.DocumentEvents;
        var requests = scope.Keys.QueryRequests;
        await scope.Db.StreamCreateConsumerGroupAsync(docs, audit, "0-0", createStream: true);
        await using var embedder = WorkerProcess.Start("Embedder", settings);
        await using var queryWorker = WorkerProcess.Start("Query", settings);
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);

        using var stop = new CancellationTokenSource();
        var produced = new List<RedisValue>();
        var producer = Task.Run(async () =>
        {
            // Updates of 1,000 documents, over and over, each with a higher version.
            for (var round = 1L; !stop.IsCancellationRequested; round++)
            {
                produced.AddRange(await ProduceAsync(scope.Db, docs, Enumerable.Range(0, 100).Select(i => Upsert((int)((round * 100) + i) % 1000, round))));
                await Task.Delay(100, CancellationToken.None);
            }
        }, Ct);
        var queries = new QueryLoad(client, callers: 2, TimeSpan.FromSeconds(5));
        await using var queriesStopped = queries;

        // The audit group reads everything new, holds it a while, checks every entry it holds is still
        // in the stream, and only then acknowledges: a second, slower reader of the same stream.
        var audited = new List<RedisValue>();
        var missingForAudit = 0L;
        var auditor = Task.Run(async () =>
        {
            while (true)
            {
                var stopping = stop.IsCancellationRequested;
                var entries = await scope.Db.StreamReadGroupAsync(docs, audit, "auditor", ">", 1_000_000);
                audited.AddRange(entries.Select(e => e.Id));
                await Task.Delay(300, CancellationToken.None);
                if (entries.Length > 0)
                {
                    var still = await scope.Db.StreamRangeAsync(docs, entries[0].Id, entries[^1].Id);
                    missingForAudit += entries.Length - still.Length;
                    await scope.Db.StreamAcknowledgeAsync(docs, audit, entries.Select(e => e.Id).ToArray());
                }

                if (stopping && entries.Length == 0)
                {
                    return;
                }
            }
        }, Ct);

        // Entries every group has finished (before each group's oldest pending entry, or after its last
        // delivered one) are only kept until the next trim pass: that excess must stay small however
        // long the run, while the stream may hold whatever some group still has to finish.
        long maxDocs = 0, maxRequests = 0, maxExcess = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < runFor)
        {
            maxExcess = Math.Max(maxExcess, await FinishedButKeptAsync(scope.Db, docs));
            maxDocs = Math.Max(maxDocs, await scope.Db.StreamLengthAsync(docs));
            maxRequests = Math.Max(maxRequests, await scope.Db.StreamLengthAsync(requests));
            Assert.False(embedder.HasExited || queryWorker.HasExited, embedder.Output + queryWorker.Output);
            await Task.Delay(100, Ct);
        }

        await stop.CancelAsync();
        await producer;
        await queries.DisposeAsync();
        await auditor;
        await WaitDrainedAsync(scope.Db, docs, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(60), () => embedder.Output);
        await EventuallyAsync(async () => await scope.Db.StreamLengthAsync(docs) <= 200 && await scope.Db.StreamLengthAsync(requests) <= 200,
            "both streams are trimmed once every group is done", TimeSpan.FromSeconds(20));
        var finalDocs = await scope.Db.StreamLengthAsync(docs);
        var finalRequests = await scope.Db.StreamLengthAsync(requests);
        var answered = queries.Summary;
        var requestEntries = (await GroupAsync(scope.Db, requests, scope.Keys.QueryGroup))!.Value.EntriesRead ?? 0;

        var auditGaps = produced.Except(audited).Count();
        await report.WriteAsync(new FaultRow(
            "10 stream growth",
            $"{runFor.TotalSeconds:0} s of sustained load: {produced.Count:N0} document events, {requestEntries:N0} query requests; a second consumer group on the document stream holding each read 0.3 s before acknowledging",
            "none (growth over time); trims run every Consumer:ClaimInterval (250 ms here)",
            auditGaps + missingForAudit,
            0,
            null,
            $"longest document stream {maxDocs:N0} (at most {maxExcess:N0} of them finished by every group, awaiting the next trim), request stream {maxRequests:N0}; after the run {finalDocs} and {finalRequests}; the slow group read {audited.Count:N0} entries, none trimmed before it acknowledged ({missingForAudit} missing); queries {answered}"));

        Assert.Equal(0, auditGaps);
        Assert.Equal(0, missingForAudit);
        Assert.Equal(produced.Count, audited.Count);
        // Bounded: trimmed all along (not only at the end) to what some group still needs (a group that
        // lags keeps its backlog, as it must), plus what finished since the last trim pass (one runs
        // every ClaimInterval), the slow group's held batches, the embedders' in-flight window
        // and the whole-node slack of XTRIM MINID ~: a bound in seconds of arrivals, not in the length of the run.
        var perSecond = produced.Count / runFor.TotalSeconds;
        Assert.True(maxExcess < 5 * perSecond, $"the document stream kept {maxExcess} entries every group had finished ({perSecond:0} arrive per second)");
        Assert.True(queries.Unexpected.Count == 0, string.Join("\n", queries.Unexpected));
    }

    /// <summary>How many entries at the head of the stream every group has finished with (they may be trimmed).</summary>
    private static async Task<long> FinishedButKeptAsync(IDatabase db, RedisKey stream)
    {
        Redis.StreamId? safe = null;
        foreach (var group in await db.StreamGroupInfoAsync(stream))
        {
            var bound = group.PendingMessageCount > 0
                ? Redis.StreamId.Parse((string?)(await db.StreamPendingAsync(stream, group.Name)).LowestPendingMessageId)
                : Redis.StreamId.Parse(group.LastDeliveredId).Next();
            safe = safe is null || bound < safe.Value ? bound : safe;
        }

        // Before the first delivery the bound is 0-1: nothing can be finished yet (and "(0-1" is no valid end).
        return safe is { Milliseconds: > 0 } s ? (await db.StreamRangeAsync(stream, "-", "(" + s, count: 100_000)).Length : 0;
    }
}
