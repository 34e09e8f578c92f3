using System.Collections.Concurrent;
using System.Diagnostics;
using StackExchange.Redis;
using StreamRag.Client;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>Scenario 2: Redis is shut down and restarted from its AOF while documents are ingested and queries asked.</summary>
public sealed class RedisRestartTests(FaultReport report)
{
    [Fact]
    public async Task RedisShutdownAndAofRestart_UnderIngestAndQueries_WorkersReconnect_NoAcknowledgedEventLost()
    {
        const int n = 8_000;
        await using var server = await RedisServerFixture.StartDedicatedAsync("--appendonly", "yes", "--appendfsync", "everysec");
        await using var scope = new TestScope(server);
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks]);
        await using var embedder = WorkerProcess.Start("Embedder", settings);
        await using var queryWorker = WorkerProcess.Start("Query", settings);

        // The app: its own connection and client, as in production.
        await using var appConnection = await ConnectAsync(server.Configuration);
        await using var client = new StreamRagClient(appConnection, scope.Keys);

        // Producer: slices of 100 events every 50 ms; an XADD that fails is sent again until Redis takes it.
        var acknowledged = new ConcurrentDictionary<int, byte>();
        var producerErrors = 0;
        var producer = Task.Run(async () =>
        {
            for (var start = 0; start < n; start += 100)
            {
                var slice = Enumerable.Range(start, Math.Min(100, n - start)).ToList();
                while (slice.Count > 0)
                {
                    var sent = slice.Select(i => (i, Task: scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert(i)))).ToArray();
                    foreach (var (i, task) in sent)
                    {
                        try
                        {
                            await task;
                            acknowledged[i] = 0;
                            slice.Remove(i);
                        }
                        catch (Exception ex) when (ex is RedisException or TimeoutException)
                        {
                            Interlocked.Increment(ref producerErrors);
                        }
                    }

                    if (slice.Count > 0)
                    {
                        await Task.Delay(100, Ct);
                    }
                }

                await Task.Delay(50, Ct);
            }
        }, Ct);

        // Queries: two callers asking in a loop; every outcome is classified.
        var queries = new QueryLoad(client, callers: 2, TimeSpan.FromSeconds(2));
        await using var queriesStopped = queries;

        var vset = scope.Keys.PartitionOf("default", "d0").VectorSet;
        await EventuallyAsync(async () => await scope.Db.VectorSetLengthAsync(vset) > n / 2 && queries.LastOk != 0,
            "ingestion and queries are under way", TimeSpan.FromSeconds(120), () => embedder.Output + queryWorker.Output);

        var down = Stopwatch.GetTimestamp();
        await server.ShutdownAsync();
        var stopped = Stopwatch.GetTimestamp();
        // Down for a few seconds, as a restart of a server with a large AOF is: longer than a worker's
        // retry budget for one entry (Consumer:MaxAttempts with backoff), so nothing may count on it.
        await Task.Delay(TimeSpan.FromSeconds(4), Ct);
        await server.StartAsync();
        var up = Stopwatch.GetTimestamp();
        var indexedAfterRestart = await scope.Db.VectorSetLengthAsync(vset);

        long indexing = 0;
        await EventuallyAsync(async () =>
        {
            indexing = await scope.Db.VectorSetLengthAsync(vset) > indexedAfterRestart ? Stopwatch.GetTimestamp() : 0;
            return indexing != 0 && queries.LastOk > up;
        }, "the workers index and answer again after the restart", TimeSpan.FromSeconds(60), () => embedder.Output + queryWorker.Output);
        var answering = queries.LastOk;

        await producer;
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(120), () => embedder.Output);
        await queries.DisposeAsync();

        var (missing, extra) = await CheckIndexedExactlyOnceAsync(scope.Index(), scope.Db, scope.Keys, n);
        var deadEvents = await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters);
        var deadQueries = await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters);
        await report.WriteAsync(new FaultRow(
            "2 Redis SHUTDOWN + AOF restart",
            $"{n:N0} events produced at ~2,000/s; 2 callers querying in a loop (2 s timeout)",
            $"SHUTDOWN (AOF flushed) at {indexedAfterRestart:N0} passages indexed; down 4 s; restarted on the same port and folder",
            missing,
            extra,
            Math.Max(Between(up, indexing), Between(up, answering)),
            $"shutdown {Between(down, stopped)} s, down + restart + AOF load {Between(stopped, up)} s; first passage indexed {Between(up, indexing)} s and first query answered {Between(up, answering)} s after Redis was back; "
            + $"producer XADD errors retried {producerErrors}; query outcomes {queries.Summary}; dead-lettered events {deadEvents}, queries {deadQueries}"));

        Assert.Equal(n, acknowledged.Count);
        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal(0, deadEvents);
        Assert.Equal(0, deadQueries);
        Assert.True(queries.Unexpected.Count == 0, string.Join("\n", queries.Unexpected));
        Assert.False(embedder.HasExited || queryWorker.HasExited, embedder.Output + queryWorker.Output);
    }
}
