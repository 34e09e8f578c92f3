using System.Diagnostics;
using System.Text.RegularExpressions;
using StreamRag.Client;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>Scenario 4: every connection of the workers is cut (CLIENT KILL) again and again under load.</summary>
public sealed class ConnectionKillTests(FaultReport report)
{
    [Fact]
    public async Task WorkerConnectionsKilledUnderLoad_RecoverWithoutRestart_NothingLost()
    {
        const int n = 6_000;
        const int rounds = 5;
        await using var server = await RedisServerFixture.StartDedicatedAsync();
        await using var scope = new TestScope(server);
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks]);
        await using var embedder = WorkerProcess.Start("Embedder", settings);
        await using var queryWorker = WorkerProcess.Start("Query", settings);
        await using var client = new StreamRagClient(server.Connection, scope.Keys);

        var producer = Task.Run(async () =>
        {
            for (var start = 0; start < n; start += 100)
            {
                await ProduceAsync(scope.Db, scope.Keys.DocumentEvents, Enumerable.Range(start, 100).Select(i => Upsert(i)));
                await Task.Delay(25, Ct);
            }
        }, Ct);

        var queries = new QueryLoad(client, callers: 1, TimeSpan.FromSeconds(2));
        await using var queriesStopped = queries;

        var vset = scope.Keys.PartitionOf("default", "d0").VectorSet;
        await EventuallyAsync(async () => await scope.Db.VectorSetLengthAsync(vset) > 1000 && queries.LastOk != 0,
            "ingestion and queries are under way", TimeSpan.FromSeconds(60), () => embedder.Output + queryWorker.Output);

        var killedConnections = 0;
        var lastKill = 0L;
        for (var round = 0; round < rounds; round++)
        {
            killedConnections += await KillWorkerConnectionsAsync(server);
            lastKill = Stopwatch.GetTimestamp();
            await Task.Delay(700, Ct);
        }

        // A probe document (another tenant, so the exactly-once count is not touched) shows the embedder works again.
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert(0, tenant: "probe"));
        var index = scope.Index();
        long indexing = 0;
        await EventuallyAsync(async () =>
        {
            indexing = indexing == 0 && await index.GetStateAsync("probe", "d0", Ct) is not null ? Stopwatch.GetTimestamp() : indexing;
            return queries.LastOk > lastKill && indexing != 0;
        }, "the same worker processes index and answer again", TimeSpan.FromSeconds(60),
            () => $"indexing {indexing}, last answer {queries.LastOk} vs last kill {lastKill}, queries {queries.Summary}: {string.Join("\n", queries.Unexpected)}\n{embedder.Output}\n{queryWorker.Output}");
        var answering = queries.LastOk;

        await producer;
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(120), () => embedder.Output);
        await queries.DisposeAsync();

        var (missing, extra) = await CheckIndexedExactlyOnceAsync(scope.Index(), scope.Db, scope.Keys, n);
        var clients = (string)(await server.Connection.GetDatabase().ExecuteAsync("CLIENT", "LIST"))!;
        await report.WriteAsync(new FaultRow(
            "4 CLIENT KILL of worker connections",
            $"{n:N0} events produced at ~3,000/s; 1 caller querying in a loop (2 s timeout); 1 embedder + 1 query worker process",
            $"{rounds} rounds, 0.7 s apart, of CLIENT KILL on every worker connection ({killedConnections} connections cut in all)",
            missing,
            extra,
            Math.Max(Between(lastKill, indexing), Between(lastKill, answering)),
            $"after the last kill: a new document indexed {Between(lastKill, indexing)} s (behind the backlog), first query answered {Between(lastKill, answering)} s; no process restarted; "
            + $"query outcomes {queries.Summary}; worker connections now {clients.Split('\n').Count(l => l.Contains("name=", StringComparison.Ordinal) && !l.Contains($"name={DedicatedRedisServer.TestClientName}", StringComparison.Ordinal))}"));

        Assert.True(killedConnections > rounds, $"expected several worker connections per round, cut {killedConnections}");
        Assert.Equal(0, missing);
        Assert.Equal(0, extra);
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
        Assert.True(queries.Unexpected.Count == 0, string.Join("\n", queries.Unexpected));
        Assert.False(embedder.HasExited || queryWorker.HasExited, embedder.Output + queryWorker.Output);
    }

    /// <summary>CLIENT KILL of every connection except the test's own (named <see cref="DedicatedRedisServer.TestClientName"/>).</summary>
    internal static async Task<int> KillWorkerConnectionsAsync(DedicatedRedisServer server)
    {
        var db = server.Connection.GetDatabase();
        var list = (string)(await db.ExecuteAsync("CLIENT", "LIST"))!;
        var killed = 0;
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // (A RESP3 verbatim string may start with "txt:".)
            var id = Regex.Match(line, @"(?:^|\s|:)id=(\d+)").Groups[1].Value;
            var name = Regex.Match(line, @"\sname=(\S*)").Groups[1].Value;
            if (id.Length > 0 && name != DedicatedRedisServer.TestClientName)
            {
                killed += (int)await db.ExecuteAsync("CLIENT", "KILL", "ID", id);
            }
        }

        return killed;
    }
}
