using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Redis;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 11 (issue 14): on a Redis Cluster of its own (3 masters, 3 replicas, started with
/// <c>deploy/redis.sh cluster</c>), a master is SIGKILLed while documents are ingested through 3
/// stream partitions and queries are asked; its replica is promoted, the killed node is started
/// again and rejoins as a replica, and the fleet goes on by itself. Run with
/// <c>Redis:WaitForReplicas=1</c> (no acknowledged event may be lost) and without (measured only).
/// The caller sees no failure (issue 21): its client posts a request again, with the same id, when
/// no reply came within <see cref="QueryOptions.RepostAfter"/> and retries refused postings on the
/// next partition, and the query worker retries a reply's PUBLISH across the failover; every query
/// is answered <c>ok</c> within its timeout, which outlasts the failover.
/// </summary>
public sealed class ClusterFailoverTests(FaultReport report)
{
    private const int Partitions = 3;

    // The caller's overall timeout outlasts the failover (cluster-node-timeout 2 s, then the
    // replica's election: about 4 to 5 s here), so a query asked at the kill can still be answered.
    private static readonly TimeSpan CallerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RepostAfter = TimeSpan.FromSeconds(1);
    private const int MaxAttempts = 5;

    [Fact]
    public async Task MasterKilled_UnderIngestAndQueries_ReplicaPromoted_NoAcknowledgedEventLostWithWaitForReplicas()
    {
        await using var cluster = await DedicatedCluster.StartAsync();

        var waiting = await RunAsync(cluster, waitForReplicas: 1);
        var notWaiting = await RunAsync(cluster, waitForReplicas: 0);

        await report.WriteAsync(waiting.Row("WaitForReplicas=1"));
        await report.WriteAsync(notWaiting.Row("WaitForReplicas=0"));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"WAIT cost: healthy-cluster ingestion {waiting.HealthyRate:0.0} docs/s with WaitForReplicas=1, {notWaiting.HealthyRate:0.0} without: ratio {waiting.HealthyRate / notWaiting.HealthyRate:0.00}"));

        Assert.Equal(0, waiting.Lost);
        Assert.True(waiting.Acknowledged > 0 && notWaiting.Acknowledged > 0);
        foreach (var run in new[] { waiting, notWaiting })
        {
            Assert.True(run.Unanswered == 0 && run.QueryErrors == 0,
                $"WaitForReplicas={run.WaitForReplicas}: {run.Unanswered} unanswered, {run.QueryErrors} errors seen by the caller (first: {run.FirstError})");
            Assert.True(run.QueriesAfterKill > 0, $"WaitForReplicas={run.WaitForReplicas}: no query was asked after the kill");
        }
    }

    private sealed record Outcome(
        int WaitForReplicas, long Acknowledged, long Lost, long QueriesOk, long Unanswered, long QueryErrors, long ProducerErrors,
        double FailoverSeconds, double? RecoverySeconds, double HealthyRate, string Killed, long QueriesAfterKill, double SlowestAnswerSeconds, string? FirstError, RetryCounts Retries)
    {
        public FaultRow Row(string mode) => new(
            $"11 cluster master SIGKILL ({mode})",
            string.Create(CultureInfo.InvariantCulture, $"{Acknowledged} documents through {Partitions} stream partitions, 2 producers; 1 caller querying in a loop ({CallerTimeout.TotalSeconds:0} s timeout, re-posted after {RepostAfter.TotalSeconds:0} s, then 2, 4 s, at most {MaxAttempts} postings); 3 masters + 3 replicas"),
            $"SIGKILL of the master of {Killed}; replica promoted; killed node restarted (rejoins as a replica)",
            Lost,
            0,
            RecoverySeconds,
            string.Create(CultureInfo.InvariantCulture,
                $"failover (kill to replica promoted) {FailoverSeconds:0.0} s; recovery = kill to the first event acknowledged on the killed partition and a query answered, both sent after the kill; unanswered requests {Unanswered}, query errors {QueryErrors}, answered {QueriesOk} ({QueriesAfterKill} asked after the kill), slowest answer {SlowestAnswerSeconds:0.0} s; {Retries}; producer errors retried {ProducerErrors}; healthy ingestion {HealthyRate:0.0} docs/s"));
    }

    private static async Task<Outcome> RunAsync(DedicatedCluster cluster, int waitForReplicas)
    {
        await using var scope = new TestScope(cluster, Partitions, $"failover{waitForReplicas}");
        (string, string)[] settings = [.. FastReclaim, ("Redis:WaitForReplicas", waitForReplicas.ToString(CultureInfo.InvariantCulture)), ("Redis:WaitTimeout", "00:00:00.500")];
        await scope.StartEmbedderAsync(settings);
        // What rode the failover out, counted from the logs: the client's re-posts, refused postings
        // and ignored duplicate replies; the worker's PUBLISH retried in place.
        var log = new LogCapture();
        await scope.StartAsync(b =>
        {
            StreamRag.Query.QueryExtensions.AddQueryWorker(b);
            b.Logging.AddProvider(log);
        }, [.. settings, ("Logging:LogLevel:StreamRag.Query.ReplyPublisher", "Information")]);
        await using var app = await ConnectAsync(cluster.Configuration);
        var replicas = new ReplicaAcknowledgement(waitForReplicas, TimeSpan.FromMilliseconds(500));
        await using var client = new StreamRagClient(app, scope.Keys, logger: log.CreateLogger<StreamRagClient>(), replicas: replicas);
        var index = scope.Index();

        // Healthy cluster: the cost of waiting for replicas, as documents indexed per second, after
        // a warm-up (the first run of the test process also pays for JIT and connection set-up).
        const int warmUp = 30, healthy = 150;
        for (var i = 0; i < warmUp; i++)
        {
            await client.UpsertDocumentAsync(new DocumentUpsert($"w{i}", 1, Content(i)), Ct);
        }

        await EventuallyAsync(async () => (await Task.WhenAll(Enumerable.Range(0, warmUp).Select(i => index.GetStateAsync("default", $"w{i}", Ct)))).All(s => s is not null), "the warm-up batch is indexed", TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(loop => Task.Run(async () =>
        {
            for (var i = loop; i < healthy; i += 2)
            {
                await client.UpsertDocumentAsync(new DocumentUpsert($"d{i}", 1, Content(i)), Ct);
            }
        }, Ct)));
        await EventuallyAsync(async () => (await Task.WhenAll(Enumerable.Range(0, healthy).Select(i => index.GetStateAsync("default", $"d{i}", Ct)))).All(s => s is not null), "the healthy batch is indexed", TimeSpan.FromSeconds(60));
        var healthyRate = healthy / clock.Elapsed.TotalSeconds;

        // Under load: two producers, one caller.
        var acknowledged = new ConcurrentDictionary<int, long>();
        foreach (var i in Enumerable.Range(0, healthy))
        {
            acknowledged[i] = 0;
        }

        var next = healthy - 1;
        long producerErrors = 0, ok = 0, unanswered = 0, queryErrors = 0, askedAfterKill = 0, slowestTicks = 0;
        string? firstError = null;
        var firstOkQueryAfterKill = new ConcurrentBag<long>();
        var killedAt = long.MaxValue;
        var killedPartition = scope.Keys.DocumentEventStreams[0];
        var firstAckOnKilledPartition = new ConcurrentBag<long>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var producers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                var sentAt = Stopwatch.GetTimestamp();
                while (true)
                {
                    try
                    {
                        await client.UpsertDocumentAsync(new DocumentUpsert($"d{i}", 1, Content(i)), CancellationToken.None);
                        acknowledged[i] = Stopwatch.GetTimestamp();
                        if (sentAt > Volatile.Read(ref killedAt) && KeySchema.StreamPartitionOf("default", $"d{i}", Partitions) == killedPartition.Number)
                        {
                            firstAckOnKilledPartition.Add(acknowledged[i]);
                        }

                        break;
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        Interlocked.Increment(ref producerErrors);
                        await Task.Delay(100, CancellationToken.None);
                        sentAt = Stopwatch.GetTimestamp();
                    }
                }

                await Task.Delay(5, CancellationToken.None);
            }
        })).ToArray();
        var caller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var sentAt = Stopwatch.GetTimestamp();
                if (sentAt > Volatile.Read(ref killedAt))
                {
                    Interlocked.Increment(ref askedAfterKill);
                }

                try
                {
                    var reply = await client.QueryAsync("bees honey", new QueryOptions { K = 3, Timeout = CallerTimeout, RepostAfter = RepostAfter, MaxAttempts = MaxAttempts }, CancellationToken.None);
                    slowestTicks = Math.Max(slowestTicks, Stopwatch.GetElapsedTime(sentAt).Ticks);
                    if (reply.Status == "ok")
                    {
                        Interlocked.Increment(ref ok);
                        if (sentAt > Volatile.Read(ref killedAt))
                        {
                            firstOkQueryAfterKill.Add(Stopwatch.GetTimestamp());
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref queryErrors);
                        firstError ??= $"{reply.Error?.Code}: {reply.Error?.Message}";
                    }
                }
                catch (QueryTimeoutException ex)
                {
                    Interlocked.Increment(ref unanswered);
                    firstError ??= ex.Message;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    Interlocked.Increment(ref queryErrors);
                    firstError ??= $"{ex.GetType().Name}: {ex.Message}";
                    await Task.Delay(100, CancellationToken.None);
                }
            }
        });

        await Task.Delay(1500, Ct);
        var victim = cluster.Connection.GetServer((await scope.Db.IdentifyEndpointAsync(killedPartition.Stream))!);
        var victimEndpoint = victim.EndPoint;
        var pid = int.Parse((await victim.InfoAsync("server")).SelectMany(g => g).Single(p => p.Key == "process_id").Value, CultureInfo.InvariantCulture);
        Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
        Process.GetProcessById(pid).Kill();
        await cluster.WaitFailedOverAsync(victimEndpoint);
        var failover = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
        await cluster.RepairAsync();
        await Task.Delay(2000, Ct);
        await stop.CancelAsync();
        await Task.WhenAll(producers);
        await caller;

        // Every partition drained: whatever the fleet will ever index is indexed.
        foreach (var p in scope.Keys.DocumentEventStreams)
        {
            await WaitDrainedAsync(scope.Db, p.Stream, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(90));
        }

        var states = await Task.WhenAll(acknowledged.Keys.Select(async i => await index.GetStateAsync("default", $"d{i}", Ct)));
        var lost = states.Count(s => s is null);
        double? recovery = firstAckOnKilledPartition.IsEmpty || firstOkQueryAfterKill.IsEmpty
            ? null
            : Stopwatch.GetElapsedTime(killedAt, Math.Max(firstAckOnKilledPartition.Min(), firstOkQueryAfterKill.Min())).TotalSeconds;
        return new Outcome(waitForReplicas, acknowledged.Count, lost, ok, unanswered, queryErrors, producerErrors, failover, recovery, healthyRate, killedPartition.Stream.ToString(),
            askedAfterKill, TimeSpan.FromTicks(slowestTicks).TotalSeconds, firstError,
            new RetryCounts(log.Of(1620).Count, log.Of(1621).Count, log.Of(1622).Count, log.Of(5701).Count, log.Of(5702).Count, log.Of(5703).Count));
    }

    private sealed record RetryCounts(int Reposted, int RefusedPostings, int DuplicateReplies, int PublishRetried, int PublishGaveUp, int RepliesDroppedPastDeadline)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"client: re-posted {Reposted}, refused postings retried {RefusedPostings}, duplicate replies ignored {DuplicateReplies}; worker: PUBLISH retried then delivered {PublishRetried}, gave up {PublishGaveUp}, dropped past the deadline {RepliesDroppedPastDeadline}");
    }
}
