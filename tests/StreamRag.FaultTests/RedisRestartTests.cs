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
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
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
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var lastOk = 0L;
        var unexpected = new ConcurrentQueue<Exception>();
        var askers = Enumerable.Range(0, 2).Select(a => Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                string outcome;
                try
                {
                    var reply = await client.QueryAsync($"bees honey colony {i++ % 97}", new Client.QueryOptions { K = 3, Timeout = TimeSpan.FromSeconds(2) }, Ct);
                    outcome = reply.Status == "ok" ? "ok" : $"error:{reply.Error!.Code}";
                    if (reply.Status == "ok")
                    {
                        Interlocked.Exchange(ref lastOk, Stopwatch.GetTimestamp());
                    }
                }
                catch (QueryTimeoutException)
                {
                    outcome = "timeout (retryable)";
                }
                catch (RedisConnectionException)
                {
                    outcome = "connection error (retryable)";
                }
                catch (RedisTimeoutException)
                {
                    outcome = "redis timeout (retryable)";
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    unexpected.Enqueue(ex);
                    outcome = $"unexpected:{ex.GetType().Name}";
                }

                outcomes.AddOrUpdate(outcome, 1, (_, c) => c + 1);
                if (outcome != "ok")
                {
                    await Task.Delay(50, Ct);
                }
            }
        }, Ct)).ToArray();

        var vset = scope.Keys.PartitionOf("default", "d0").VectorSet;
        await EventuallyAsync(async () => await scope.Db.VectorSetLengthAsync(vset) > n / 2 && Volatile.Read(ref lastOk) != 0,
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
            return indexing != 0 && Interlocked.Read(ref lastOk) > up;
        }, "the workers index and answer again after the restart", TimeSpan.FromSeconds(60), () => embedder.Output + queryWorker.Output);
        var answering = Interlocked.Read(ref lastOk);

        await producer;
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(120), () => embedder.Output);
        await stop.CancelAsync();
        await Task.WhenAll(askers);

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
            + $"producer XADD errors retried {producerErrors}; query outcomes {string.Join(", ", outcomes.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}; dead-lettered events {deadEvents}, queries {deadQueries}"));

        Assert.Equal(n, acknowledged.Count);
        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal(0, deadEvents);
        Assert.Equal(0, deadQueries);
        Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected));
        Assert.False(embedder.HasExited || queryWorker.HasExited, embedder.Output + queryWorker.Output);
    }
}
