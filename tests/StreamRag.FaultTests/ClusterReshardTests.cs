using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using StackExchange.Redis;
using StreamRag.Client;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Scenario 12 (issue 14): on a Redis Cluster of its own, slots move between masters while
/// documents are ingested through 3 stream partitions and queries are asked, against embedder and
/// query worker processes: first a bulk <c>redis-cli --cluster reshard</c> that carries one index
/// partition's slot with it, then targeted moves (<c>SETSLOT IMPORTING/MIGRATING</c>,
/// <c>MIGRATE … KEYS</c> in small batches, <c>SETSLOT NODE</c>) of the slots of the fleet's hot
/// keys: a document-events partition stream, a query-request partition stream and an index
/// partition. No error may reach a caller, every request must be answered, and every acknowledged
/// event must be indexed at its version.
/// </summary>
public sealed partial class ClusterReshardTests(FaultReport report)
{
    private const int Partitions = 3;

    [Fact]
    public async Task SlotsOfHotKeysMoved_UnderIngestAndQueries_NoCallerErrorNothingLost()
    {
        await using var cluster = await DedicatedCluster.StartAsync();
        await using var scope = new TestScope(cluster, Partitions, "reshard");
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks]);
        await using var embedder = WorkerProcess.Start("Embedder", settings);
        await using var queryWorker = WorkerProcess.Start("Query", settings);
        await using var app = await ConnectAsync(cluster.Configuration);
        await using var client = new StreamRagClient(app, scope.Keys);
        var index = scope.Index();
        string Outputs() => $"embedder:\n{embedder.Output}\nquery worker:\n{queryWorker.Output}";

        // Warm-up: both processes serve before the load starts (first query waits for the worker's start-up).
        const int warmUp = 20;
        for (var i = 0; i < warmUp; i++)
        {
            await client.UpsertDocumentAsync(new DocumentUpsert($"d{i}", 1, Content(i)), Ct);
        }

        await EventuallyAsync(async () => (await Task.WhenAll(Enumerable.Range(0, warmUp).Select(i => index.GetStateAsync("default", $"d{i}", Ct)))).All(s => s is not null), "the warm-up documents are indexed", TimeSpan.FromSeconds(90), Outputs);
        Assert.Equal("ok", (await client.QueryAsync("bees honey", new QueryOptions { K = 3, Timeout = TimeSpan.FromSeconds(60) }, Ct)).Status);

        // The hot slots, from the key names the fleet uses (docs/keys.md).
        var eventsSlot = await cluster.KeySlotAsync(scope.Keys.DocumentEventStreams[0].Stream.ToString());
        var requestsSlot = await cluster.KeySlotAsync(scope.Keys.QueryRequestStreams[0].Stream.ToString());
        // {default.0} is near the low end of its master's range on an evenly split cluster: the bulk
        // reshard that carries it moves ~180 slots (a few seconds), not thousands.
        var bulkIndexSlot = await cluster.KeySlotAsync(scope.Keys.Partition("default", 0).VectorSet.ToString());
        var movedIndexSlot = await cluster.KeySlotAsync(scope.Keys.Partition("default", 2).VectorSet.ToString());

        var load = new Load(client, Enumerable.Range(0, warmUp).ToDictionary(i => i, _ => 1L));
        var queries = new QueryLoad(client, callers: 2, timeout: TimeSpan.FromSeconds(10));
        await Task.Delay(1500, Ct);

        // 1. Bulk: redis-cli moves the lowest slots of the owner of {default.0} until that slot is among them.
        var migrationStart = Stopwatch.GetTimestamp();
        var ackedBefore = load.Acknowledged;
        var bulkFrom = await cluster.OwnerOfAsync(bulkIndexSlot);
        var masters = await cluster.MastersAsync();
        var bulkTo = Next(masters, bulkFrom);
        var bulkSlots = bulkFrom.LowestSlots.TakeWhile(s => s != bulkIndexSlot).Count() + 1;
        var cli = await cluster.ReshardAsync(bulkFrom, bulkTo, bulkSlots);
        await cluster.WaitSlotSettledAsync(bulkIndexSlot, bulkTo);
        var bulkSeconds = Since(migrationStart);

        // 2. Targeted: each hot slot to another master, its keys moved 20 at a time, 100 ms apart.
        var moves = new List<string>();
        foreach (var (what, slot) in new[] { ("{docs.p0} events", eventsSlot), ("{queries.p0} requests", requestsSlot), ("{default.2} index", movedIndexSlot) })
        {
            var began = Stopwatch.GetTimestamp();
            var owner = await cluster.OwnerOfAsync(slot);
            var to = Next(await cluster.MastersAsync(), owner);
            var keys = await cluster.MoveSlotAsync(slot, to, keysPerBatch: 20, pause: TimeSpan.FromMilliseconds(100));
            await cluster.WaitSlotSettledAsync(slot, to);
            Assert.True(keys > 0, $"slot {slot} ({what}) held keys to move");
            moves.Add(string.Create(CultureInfo.InvariantCulture, $"{what} slot {slot} {owner.Port}→{to.Port}: {keys} keys in {Since(began):0.0} s"));
        }

        var migrationEnd = Stopwatch.GetTimestamp();
        var ackedDuring = load.Acknowledged - ackedBefore;
        await Task.Delay(1500, Ct);
        await load.StopAsync();
        await queries.DisposeAsync();

        foreach (var p in scope.Keys.DocumentEventStreams)
        {
            await WaitDrainedAsync(scope.Db, p.Stream, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(90), Outputs);
        }

        var versions = load.Versions;
        var (missing, extra) = await CheckIndexedExactlyOnceAsync(index, scope.Db, scope.Keys, versions.Count, i => versions[i]);
        var deadLetters = 0L;
        foreach (var p in scope.Keys.DocumentEventStreams.Concat(scope.Keys.QueryRequestStreams))
        {
            deadLetters += await scope.Db.StreamLengthAsync(p.DeadLetters);
        }

        var logged = Outputs();
        var held = HeldBatch().Count(logged);
        var tryAgain = TryAgain().Count(logged);
        var retriedAttempts = RetriedAttempt().Count(logged);
        var answered = queries.Outcomes.GetValueOrDefault("ok");
        var updates = versions.Values.Count(v => v > 1);
        await report.WriteAsync(new FaultRow(
            "12 cluster slot migration",
            string.Create(CultureInfo.InvariantCulture, $"{versions.Count} documents ({updates} updated again) through {Partitions} stream partitions, 2 producers; 2 callers querying in a loop (10 s timeout); embedder + query worker processes; 3 masters + 3 replicas, Redis:Shards=3"),
            string.Create(CultureInfo.InvariantCulture, $"redis-cli --cluster reshard of {bulkSlots} slots {bulkFrom.Port}→{bulkTo.Port} (with {{default.0}}, slot {bulkIndexSlot}) in {bulkSeconds:0.0} s; then by hand (SETSLOT IMPORTING/MIGRATING, MIGRATE 20 keys per 100 ms, SETSLOT NODE): {string.Join("; ", moves)}"),
            missing,
            extra,
            null,
            string.Create(CultureInfo.InvariantCulture,
                $"{bulkSlots + moves.Count} slots moved in {Between(migrationStart, migrationEnd):0.0} s; {ackedDuring} events acknowledged during the migration; caller errors: producer {load.Errors}, queries {queries.Summary}; dead letters {deadLetters}; workers logged {held} held batches (transient failure, retried), {retriedAttempts} counted retries, {tryAgain} TRYAGAIN replies")));

        Assert.Equal(bulkTo.Id, (await cluster.OwnerOfAsync(bulkIndexSlot)).Id);
        Assert.Contains("[OK]", cli, StringComparison.Ordinal);
        Assert.Equal(0, load.Errors);
        Assert.Empty(queries.Unexpected);
        Assert.True(queries.Outcomes.Keys.All(k => k == "ok"), $"every query answered without an error: {queries.Summary}");
        Assert.True(answered > 0);
        Assert.True(ackedDuring > 0, "events were ingested during the migration");
        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal(0, deadLetters);
        Assert.False(embedder.HasExited, embedder.Output);
        Assert.False(queryWorker.HasExited, queryWorker.Output);
    }

    private static ClusterNode Next(IReadOnlyList<ClusterNode> masters, ClusterNode owner) =>
        masters[(masters.ToList().FindIndex(m => m.Id == owner.Id) + 1) % masters.Count];

    [GeneratedRegex("hit a transient failure")]
    private static partial Regex HeldBatch();

    [GeneratedRegex("TRYAGAIN")]
    private static partial Regex TryAgain();

    [GeneratedRegex(@"failed \(attempt \d+ of")]
    private static partial Regex RetriedAttempt();

    /// <summary>
    /// Two producers through the .NET client: mostly new documents, every fourth write a new version
    /// of one of the producer's own earlier documents. A write counts once Redis acknowledged it; a
    /// failed write is counted (an error a caller saw) and sent again.
    /// </summary>
    private sealed class Load
    {
        private readonly ConcurrentDictionary<int, long> versions;
        private readonly CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        private readonly Task[] producers;
        private int next;
        private long acknowledged;
        private long errors;

        public Load(StreamRagClient client, IReadOnlyDictionary<int, long> existing)
        {
            versions = new(existing);
            next = existing.Count - 1;
            producers = Enumerable.Range(0, 2).Select(p => Task.Run(() => ProduceAsync(client, p))).ToArray();
        }

        /// <summary>Document number → the highest version acknowledged for it.</summary>
        public IReadOnlyDictionary<int, long> Versions => versions;

        public long Acknowledged => Interlocked.Read(ref acknowledged);

        public long Errors => Interlocked.Read(ref errors);

        private async Task ProduceAsync(StreamRagClient client, int producer)
        {
            var mine = new List<int>();
            var random = new Random(producer);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var (i, version) = n % 4 == 3 && mine.Count > 0
                    ? (mine[random.Next(mine.Count)], 0L)
                    : (Interlocked.Increment(ref next), 1L);
                version = version == 0 ? versions[i] + 1 : 1;
                while (true)
                {
                    try
                    {
                        await client.UpsertDocumentAsync(new DocumentUpsert($"d{i}", version, Content(i, version)), CancellationToken.None);
                        versions[i] = version;
                        Interlocked.Increment(ref acknowledged);
                        break;
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        Interlocked.Increment(ref errors);
                        await Task.Delay(100, CancellationToken.None);
                    }
                }

                if (version == 1)
                {
                    mine.Add(i);
                }

                await Task.Delay(10, CancellationToken.None);
            }
        }

        public async Task StopAsync()
        {
            await stop.CancelAsync();
            await Task.WhenAll(producers);
            stop.Dispose();
        }
    }
}
