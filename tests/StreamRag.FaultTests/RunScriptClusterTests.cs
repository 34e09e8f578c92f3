using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// <c>STREAMRAG_REDIS=&lt;seed nodes&gt; Redis__Shards=3 Streams__Partitions=3 ./run.sh demo</c>, as
/// docs/running.md shows it (issue 14's acceptance), on a Redis Cluster of the test's own with the
/// default (local model) embedder: every bundled question is answered with its document, the
/// index and the input streams are spread over the masters, no local Redis is started, and nothing
/// the run started is left running.
/// </summary>
public sealed partial class RunScriptClusterTests
{
    // Loading the model, ingesting 10 documents and asking 15 questions take well under a minute on
    // a quiet machine; a contended one gets time to spare.
    private static readonly TimeSpan DemoTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Demo_AgainstAClusterGivenBySeeds_AnswersEveryQuestion_OnSeveralMasters_AndLeavesNothingRunning()
    {
        await using var cluster = await DedicatedCluster.StartAsync();
        // Names the run's folder (.run/fleet-<port>/), where a Redis run.sh started would keep its data.
        var localPort = LoopbackPorts.Range(1, 0);
        // Every process the run starts inherits it, also one that left the process tree (a daemon).
        var marker = $"STREAMRAG_TEST_RUN={Guid.NewGuid():N}";
        var start = RunScriptTests.StartInfo("demo");
        start.Environment["STREAMRAG_REDIS"] = cluster.Configuration;
        start.Environment["Redis__Shards"] = "3";
        start.Environment["Streams__Partitions"] = "3";
        start.Environment["STREAMRAG_REDIS_PORT"] = localPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["STREAMRAG_METRICS_PORT_BASE"] = "0";
        start.Environment["STREAMRAG_TEST_RUN"] = marker.Split('=')[1];
        start.Environment.Remove("Embedding__Provider");
        start.Environment.Remove("Index__Engine");

        var began = Stopwatch.GetTimestamp();
        var (exitCode, output) = await RunAsync(start, DemoTimeout, marker);
        TestContext.Current.TestOutputHelper?.WriteLine($"run.sh demo on the cluster: exit {exitCode} after {Since(began)} s");

        var questions = File.ReadLines(Path.Combine(RedisServerFixture.RepositoryRoot(), "demo", "questions.tsv")).Count(l => l.Contains('\t', StringComparison.Ordinal));
        Assert.True(exitCode == 0, $"run.sh demo exited with {exitCode}\n{output}");
        var result = ResultLine().Match(output);
        Assert.True(result.Success, $"no result line in the demo's output\n{output}");
        TestContext.Current.TestOutputHelper?.WriteLine(result.Value);
        Assert.Equal($"{questions} of {questions}", $"{result.Groups["right"].Value} of {result.Groups["asked"].Value}");
        Assert.Contains("Redis is a cluster of 3 masters: each tenant's index is split into 3 partition(s) (Redis:Shards), the input streams into 3", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Starting Redis", output, StringComparison.Ordinal);
        Assert.DoesNotContain("restarting", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(RedisServerFixture.RepositoryRoot(), ".run", $"fleet-{localPort}", "redis")), "no Redis data folder in the run's folder");

        // It ran on the cluster: the demo's documents and the three partitions of the document-events
        // stream are spread over the masters, not pinned to one.
        var documents = new Dictionary<int, int>();
        var eventPartitions = new Dictionary<int, int>();
        foreach (var master in await cluster.MastersAsync())
        {
            var server = cluster.Server(master);
            documents[master.Port] = await server.KeysAsync(pattern: "rag:{default.*}:doc:*").CountAsync(Ct);
            eventPartitions[master.Port] = await server.KeysAsync(pattern: "rag:{docs.p*}:events").CountAsync(Ct);
        }

        var placement = string.Join(", ", documents.Select(d => $"{d.Key}: {d.Value} documents, {eventPartitions[d.Key]} event partitions"));
        TestContext.Current.TestOutputHelper?.WriteLine(placement);
        Assert.Equal(Directory.GetFiles(Path.Combine(RedisServerFixture.RepositoryRoot(), "demo", "corpus"), "*.md").Length, documents.Values.Sum());
        Assert.True(documents.Values.Count(n => n > 0) >= 2, $"the demo's documents are on at least two masters ({placement})");
        Assert.Equal(3, documents.Count);
        Assert.True(eventPartitions.Values.All(n => n == 1), $"each master holds one document-events partition ({placement})");
    }

    [GeneratedRegex(@"(?<right>\d+) of (?<asked>\d+) answers name the expected document[^\n]*")]
    private static partial Regex ResultLine();

    /// <summary>
    /// Runs <paramref name="start"/> to its end and checks that no process whose environment holds
    /// <paramref name="marker"/> outlives it; returns its exit code and output.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo start, TimeSpan timeout, string marker)
    {
        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        string Output()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        using var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // The exit of run.sh itself, not the end of its output: a process it left behind would
            // keep the output open.
            await exited.Task.WaitAsync(timeout, Ct);
        }
        catch (TimeoutException)
        {
            // Stopped the way Ctrl-C stops it, so its workers go too; then by force.
            using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync(CancellationToken.None);
            }

            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
            }

            throw new TimeoutException($"run.sh demo did not finish within {timeout}\n{Output()}");
        }

        try
        {
            // run.sh waits for each worker it stops; a sleeper between restarts may take a moment to go.
            await EventuallyAsync(() => Task.FromResult(ProcessesWith(marker).Count == 0), "no process started by the run is left",
                TimeSpan.FromSeconds(10), () => string.Join('\n', ProcessesWith(marker).Select(p => $"left running: {p.Pid} {p.CommandLine}")) + "\n" + Output());
        }
        finally
        {
            // What a failed run left behind is not left to the rest of the suite.
            foreach (var (pid, _) in ProcessesWith(marker))
            {
                try
                {
                    using var left = Process.GetProcessById(pid);
                    left.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // It has gone meanwhile.
                }
            }
        }

        // With every writer gone the output ends at once; this reads its last lines.
        using var drained = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        drained.CancelAfter(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(drained.Token);
        return (process.ExitCode, Output());
    }

    /// <summary>The live processes whose environment holds <paramref name="marker"/> (NAME=value), with their command lines.</summary>
    private static List<(int Pid, string CommandLine)> ProcessesWith(string marker)
    {
        var entry = Encoding.UTF8.GetBytes(marker + "\0");
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var pid = Path.GetFileName(dir);
            if (!pid.All(char.IsAsciiDigit) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                continue;
            }

            try
            {
                if (File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(entry) >= 0)
                {
                    found.Add((int.Parse(pid, CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's.
            }
        }

        return found;
    }
}
