using System.Diagnostics;
using System.Globalization;
using System.Text;
using StackExchange.Redis;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// <c>./run.sh</c> as an operator runs it: it supervises its workers (a killed one is restarted
/// while Redis and the others stay up), stops everything on SIGINT, and a second run on other ports
/// runs beside the first.
/// </summary>
public sealed class RunScriptTests
{
    private static readonly string[] Workers = ["embedder", "query", "sweeper", "monitor"];

    [Fact]
    public async Task KilledWorker_IsRestarted_WhileRedisAndTheOthersStayUp_AndSigintStopsEverything()
    {
        await using var fleet = await RunShFleet.StartAsync();
        await fleet.WaitIndexedAsync("before");
        var embedder = fleet.Pid("embedder");
        var others = Workers.Skip(1).ToDictionary(w => w, fleet.Pid);
        var redisPid = await fleet.RedisPidAsync();

        Process.GetProcessById(embedder).Kill();
        var killed = Stopwatch.GetTimestamp();
        await EventuallyAsync(() => Task.FromResult(fleet.TryPid("embedder") is { } p && p != embedder && IsAlive(p)), "a new embedder runs", TimeSpan.FromSeconds(30), () => fleet.Output);
        await fleet.WaitIndexedAsync("after");
        var serving = Since(killed);
        Assert.True(serving < 30, $"a new embedder indexed a document {serving} s after the kill");

        Assert.Equal(others, Workers.Skip(1).ToDictionary(w => w, fleet.Pid));
        Assert.All(others.Values, p => Assert.True(IsAlive(p), $"pid {p} is still up"));
        Assert.Equal(redisPid, await fleet.RedisPidAsync());
        Assert.Contains($"embedder (pid {embedder}) exited with status 137; restarting it in 1 s", fleet.Output, StringComparison.Ordinal);
        Assert.Contains($"embedder (pid {embedder}) exited with status 137", await File.ReadAllTextAsync(Path.Combine(fleet.RunDir, "logs", "embedder.log"), Ct), StringComparison.Ordinal);

        var workers = Workers.Select(fleet.Pid).ToArray();
        var exitCode = await fleet.InterruptAsync();
        Assert.Equal(130, exitCode);
        Assert.All(workers, p => Assert.False(IsAlive(p), $"worker pid {p} exited"));
        // deploy/redis.sh stop returns once the port is closed; the process ends a moment later.
        await EventuallyAsync(() => Task.FromResult(!IsAlive(redisPid)), "the Redis run.sh started has exited", TimeSpan.FromSeconds(15));
        Assert.Empty(Directory.GetFiles(Path.Combine(fleet.RunDir, "pids")));
    }

    [Fact]
    public async Task TwoRuns_OnOtherPorts_RunSideBySide()
    {
        await using var first = await RunShFleet.StartAsync();
        await using var second = await RunShFleet.StartAsync();
        Assert.NotEqual(first.RunDir, second.RunDir);
        foreach (var fleet in new[] { first, second })
        {
            await fleet.WaitIndexedAsync("side-by-side");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            for (var i = 0; i < Workers.Length; i++)
            {
                var port = fleet.MetricsBase + i;
                await EventuallyAsync(async () =>
                {
                    try
                    {
                        return (await http.GetAsync(new Uri($"http://localhost:{port}/metrics"), Ct)).IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                }, $"the {Workers[i]} of the run on Redis port {fleet.RedisPort} serves metrics on port {port}", TimeSpan.FromSeconds(60), () => fleet.Output);
            }

            Assert.All(Workers, w => Assert.True(IsAlive(fleet.Pid(w)), $"{w} of the run on {fleet.RedisPort} is up"));
        }

        Assert.DoesNotContain("restarting", first.Output + second.Output, StringComparison.Ordinal);
        Assert.Equal(130, await first.InterruptAsync());
        Assert.Equal(130, await second.InterruptAsync());
    }

    /// <summary>
    /// <c>./run.sh</c> with <paramref name="arguments"/>, on the binaries already built, with no
    /// Redis or scrape port of the test host's environment: the caller sets those.
    /// </summary>
    internal static ProcessStartInfo StartInfo(params string[] arguments)
    {
        // A shell cannot trap a signal it was started with ignored, and a test run launched in the
        // background of a script (nohup, "cmd &" without job control) hands SIGINT down ignored:
        // env restores its default, so Ctrl-C reaches run.sh as it does from a terminal.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(Path.Combine(RedisServerFixture.RepositoryRoot(), "run.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["STREAMRAG_SKIP_BUILD"] = "1";
        start.Environment.Remove("STREAMRAG_REDIS");
        start.Environment.Remove("Metrics__PrometheusPort");
        return start;
    }

    internal static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>One <c>./run.sh</c> on a Redis port and scrape ports of its own, with the binaries already built.</summary>
    private sealed class RunShFleet : IAsyncDisposable
    {
        private readonly Process process;
        private readonly StringBuilder output = new();
        private ConnectionMultiplexer? redis;

        private RunShFleet(Process process, int redisPort, int metricsBase)
        {
            this.process = process;
            RedisPort = redisPort;
            MetricsBase = metricsBase;
        }

        public int RedisPort { get; }

        public int MetricsBase { get; }

        public string RunDir => Path.Combine(RedisServerFixture.RepositoryRoot(), ".run", $"fleet-{RedisPort}");

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public static async Task<RunShFleet> StartAsync()
        {
            var redisPort = LoopbackPorts.Range(1, 0);
            var metricsBase = LoopbackPorts.Range(4, 0);
            var start = StartInfo();
            start.Environment["STREAMRAG_REDIS_PORT"] = redisPort.ToString(CultureInfo.InvariantCulture);
            start.Environment["STREAMRAG_METRICS_PORT_BASE"] = metricsBase.ToString(CultureInfo.InvariantCulture);
            // The lexical embedder: these runs test supervision, not the model (and load in a moment).
            start.Environment["Embedding__Provider"] = "hashing";
            start.Environment["Index__Engine"] = "vectorset";
            var process = new Process { StartInfo = start };
            var fleet = new RunShFleet(process, redisPort, metricsBase);
            process.OutputDataReceived += (_, e) => fleet.Append(e.Data);
            process.ErrorDataReceived += (_, e) => fleet.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await EventuallyAsync(() =>
            {
                Assert.False(process.HasExited, fleet.Output);
                return Task.FromResult(Workers.All(w => fleet.TryPid(w) is not null));
            }, "run.sh started every worker", TimeSpan.FromSeconds(120), () => fleet.Output);
            fleet.redis = await ConnectAsync($"127.0.0.1:{redisPort},allowAdmin=true");
            return fleet;
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        public int? TryPid(string worker)
        {
            try
            {
                return int.TryParse(File.ReadAllText(Path.Combine(RunDir, "pids", worker + ".pid")).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;
            }
            catch (IOException)
            {
                return null;
            }
        }

        public int Pid(string worker) => TryPid(worker) ?? throw new InvalidOperationException($"no pid file for {worker}\n{Output}");

        public async Task<int> RedisPidAsync()
        {
            var info = await redis!.GetServer($"127.0.0.1:{RedisPort}").InfoAsync("server");
            return int.Parse(info.SelectMany(g => g).First(p => p.Key == "process_id").Value, CultureInfo.InvariantCulture);
        }

        /// <summary>Posts a document and waits until an embedder has indexed it.</summary>
        public async Task WaitIndexedAsync(string id)
        {
            var db = redis!.GetDatabase();
            await db.StreamAddAsync("rag:{docs}:events", [new("id", id), new("version", 1), new("content", $"supervised fleet document {id}")]);
            await EventuallyAsync(async () => (await db.HashGetAsync($"rag:{{default.0}}:doc:{id}", "version")) == 1,
                $"document {id} is indexed", TimeSpan.FromSeconds(60), () => Output);
        }

        /// <summary>Sends SIGINT (Ctrl-C) and returns run.sh's exit code once it has stopped.</summary>
        public async Task<int> InterruptAsync()
        {
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(Ct);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                throw new TimeoutException($"run.sh on Redis port {RedisPort} did not stop within 60 s of SIGINT\n{Output}");
            }

            return process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                // A failed test: stop the run the way Ctrl-C does, so no worker or Redis is left behind.
                try
                {
                    await InterruptAsync();
                }
                catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    // Redis runs as a daemon, outside the process tree.
                    if (redis is not null)
                    {
                        try
                        {
                            await redis.GetServer($"127.0.0.1:{RedisPort}").ExecuteAsync("SHUTDOWN", "NOSAVE");
                        }
                        catch (RedisException)
                        {
                            // It has gone (the connection drops as it shuts down).
                        }
                    }
                }
            }

            process.Dispose();
            if (redis is not null)
            {
                await redis.DisposeAsync();
            }
        }
    }
}
