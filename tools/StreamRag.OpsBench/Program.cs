using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;
using StreamRag.Sweeper;

// Benchmarks quoted in docs/operations.md. Needs a Redis 8 of its own (the monitor figure counts
// every command the server processes), e.g. deploy/redis.sh start 6399 .run/bench-redis:
//   dotnet artifacts/bin/StreamRag.OpsBench/release/StreamRag.OpsBench.dll sweeper 127.0.0.1:6399 100000 [batch size]
//   dotnet artifacts/bin/StreamRag.OpsBench/release/StreamRag.OpsBench.dll monitor 127.0.0.1:6399 60 200
var mode = args.ElementAtOrDefault(0) ?? "sweeper";
var redisConfig = args.ElementAtOrDefault(1) ?? "127.0.0.1:6399";
var prefix = $"bench{Guid.NewGuid().ToString("N")[..6]}";
var random = new Random(1);

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Redis:Configuration"] = redisConfig,
    ["Redis:KeyPrefix"] = prefix,
    ["Index:Dimensions"] = mode == "sweeper" ? "64" : "384",
    // Vectors of any length, no model: what is measured is the sweeper and the monitor.
    ["Embedding:Provider"] = "hashing",
    ["Embedding:Dimensions"] = mode == "sweeper" ? "64" : "384",
    ["Sweeper:BatchSize"] = mode == "sweeper" ? args.ElementAtOrDefault(3) ?? "128" : "128",
});
builder.AddSweeperWorker();
using var host = builder.Build();
var services = host.Services;
var index = services.GetRequiredService<IVectorIndex>();
var keys = services.GetRequiredService<KeySchema>();
var mux = await services.GetRequiredService<RedisConnections>().GetSharedAsync();
var db = mux.GetDatabase();

float[] Vector(int dims) => Enumerable.Range(0, dims).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();

async Task IndexAsync(string idPrefix, int count, int dims, DateTimeOffset? expiresAt)
{
    foreach (var batch in Enumerable.Range(0, count).Chunk(200))
    {
        await Task.WhenAll(batch.Select(i => index.UpsertAsync(new IndexedDocument("default", $"{idPrefix}{i}", 1, "h", "bench", DateTimeOffset.UtcNow, [], expiresAt,
            [new IndexedChunk(0, "text", Vector(dims))]), CancellationToken.None)));
    }
}

async Task CleanAsync()
{
    var server = mux.GetServer(mux.GetEndPoints()[0]);
    await foreach (var key in server.KeysAsync(pattern: $"{prefix}:*", pageSize: 1000))
    {
        await db.KeyDeleteAsync(key);
    }
}

try
{
    if (mode == "sweeper")
    {
        var count = int.Parse(args.ElementAtOrDefault(2) ?? "100000", CultureInfo.InvariantCulture);
        var partition = keys.Partition("default", 0);

        // Baseline: the bare deletes, pipelined in batches of the sweeper's size, no checks, no tombstone, no audit.
        await IndexAsync("raw", count, 64, DateTimeOffset.UtcNow.AddSeconds(-1));
        var raw = Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, count).Chunk(int.Parse(args.ElementAtOrDefault(3) ?? "128", CultureInfo.InvariantCulture)))
        {
            var ops = new List<Task>(batch.Length * 3);
            foreach (var i in batch)
            {
                ops.Add(db.VectorSetRemoveAsync(partition.VectorSet, $"raw{i}#0"));
                ops.Add(db.KeyDeleteAsync(partition.Document($"raw{i}")));
                ops.Add(db.SortedSetRemoveAsync(partition.ExpiryIndex, $"raw{i}"));
            }

            await Task.WhenAll(ops);
        }

        raw.Stop();

        await IndexAsync("doc", count, 64, DateTimeOffset.UtcNow.AddSeconds(-1));
        var sweeper = services.GetRequiredService<ExpirySweeper>();
        var swept = Stopwatch.StartNew();
        var report = await sweeper.SweepOnceAsync(CancellationToken.None);
        swept.Stop();
        var rawRate = count / raw.Elapsed.TotalSeconds;
        var sweepRate = report.Expired / swept.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sweeper: {report.Expired} expired in {swept.Elapsed.TotalSeconds:0.00} s = {sweepRate:0} deletes/s ({report.Batches} batches of <= {report.LargestBatch}; each with tombstone, expiry check and audit record)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"baseline: {count} raw pipelined VREM+DEL+ZREM in {raw.Elapsed.TotalSeconds:0.00} s = {rawRate:0} deletes/s; sweeper/baseline = {sweepRate / rawRate:0.00}"));
        Console.WriteLine($"audit stream length: {await db.StreamLengthAsync(keys.DocumentDeletions)}");
    }
    else
    {
        var seconds = int.Parse(args.ElementAtOrDefault(2) ?? "60", CultureInfo.InvariantCulture);
        var qps = int.Parse(args.ElementAtOrDefault(3) ?? "200", CultureInfo.InvariantCulture);
        await IndexAsync("doc", 5_000, 384, null);
        var admin = await ConnectionMultiplexer.ConnectAsync($"{redisConfig},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        var monitorDll = Path.Combine(AppContext.BaseDirectory, "..", "..", "StreamRag.Monitor", "release", "StreamRag.Monitor.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.GetFullPath(monitorDll));
        start.Environment["Redis__Configuration"] = redisConfig;
        start.Environment["Redis__KeyPrefix"] = prefix;
        start.Environment["Metrics__PrometheusPort"] = "0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var monitor = Process.Start(start)!;
        _ = monitor.StandardOutput.ReadToEndAsync();
        _ = monitor.StandardError.ReadToEndAsync();

        // Plays the query workers: qps entries per second, 5% of them sampled for recall.
        long written = 0;
        using var stop = new CancellationTokenSource();
        var sampleVector = MemoryMarshal.AsBytes(Vector(384).AsSpan()).ToArray();
        var load = Task.Run(async () =>
        {
            var tick = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                var due = (long)(tick.Elapsed.TotalSeconds * qps) - Interlocked.Read(ref written);
                var adds = new List<Task>();
                for (var i = 0; i < due; i++)
                {
                    var n = Interlocked.Increment(ref written);
                    NameValueEntry[] fields =
                    [
                        new(QueryMetricsFields.Status, "ok"), new(QueryMetricsFields.TotalMs, 12.5), new(QueryMetricsFields.QueueMs, 1.5),
                        new(QueryMetricsFields.EmbedMs, 4), new(QueryMetricsFields.SearchMs, 6), new(QueryMetricsFields.Cache, "miss"),
                        new(QueryMetricsFields.Ef, 100), new(QueryMetricsFields.K, 10), new(QueryMetricsFields.Results, 10),
                    ];
                    if (n % 20 == 0)
                    {
                        fields = [.. fields, new(QueryMetricsFields.Tenant, "default"), new(QueryMetricsFields.Filters, "{}"),
                            new(QueryMetricsFields.Vector, sampleVector), new(QueryMetricsFields.ResultIds, "doc1#0,doc2#0")];
                    }

                    adds.Add(db.StreamAddAsync(keys.QueryMetrics, fields, maxLength: 100_000, useApproximateMaxLength: true));
                }

                await Task.WhenAll(adds);
                await Task.Delay(10);
            }
        });

        static long CpuTicks(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        static long Commands(IServer s) =>
            long.Parse(RedisProbeInfo(s.InfoRaw("stats") ?? "", "total_commands_processed"), CultureInfo.InvariantCulture);

        static string RedisProbeInfo(string info, string name) =>
            info.Split('\n').Select(l => l.TrimEnd('\r')).First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..];

        await Task.Delay(TimeSpan.FromSeconds(15));
        var cpu0 = CpuTicks(monitor.Id);
        var cmd0 = Commands(server);
        var written0 = Interlocked.Read(ref written);
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var cpu1 = CpuTicks(monitor.Id);
        var cmd1 = Commands(server);
        var written1 = Interlocked.Read(ref written);
        wall.Stop();
        await stop.CancelAsync();
        await load;
        monitor.Kill();
        await monitor.WaitForExitAsync();

        // Clock ticks are 1/100 s on Linux (USER_HZ). Commands: all the server processed, less the
        // load generator's XADDs and the one INFO of this measurement.
        var cpuMsPerSecond = (cpu1 - cpu0) * 10.0 / wall.Elapsed.TotalSeconds;
        var monitorCommands = cmd1 - cmd0 - (written1 - written0) - 1;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"monitor: {cpuMsPerSecond:0.0} CPU ms per wall second, {monitorCommands / wall.Elapsed.TotalSeconds:0.0} Redis commands/s, while ingesting {(written1 - written0) / wall.Elapsed.TotalSeconds:0} query-metrics entries/s (5% sampled) over {wall.Elapsed.TotalSeconds:0} s, index of 5000 vectors"));
    }
}
finally
{
    await CleanAsync();
}
