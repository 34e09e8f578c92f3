using System.Diagnostics;
using System.Globalization;
using StreamRag.TestSupport;

namespace StreamRag.Bench;

/// <summary>Redis and the worker hosts as separate processes, as in production.</summary>
internal sealed class Fleet : IAsyncDisposable
{
    private readonly string root;
    private readonly string stopVerb;
    private readonly List<(string Name, Process Process)> workers = [];

    private Fleet(string root, int port, string dataDir, string configuration, string stopVerb)
    {
        this.root = root;
        this.stopVerb = stopVerb;
        Port = port;
        DataDir = dataDir;
        Configuration = configuration;
    }

    /// <summary>The server's port, or the first node's of a cluster.</summary>
    public int Port { get; }

    public string DataDir { get; }

    /// <summary>The StackExchange.Redis configuration string: one endpoint, or a cluster's seed nodes.</summary>
    public string Configuration { get; }

    /// <param name="serverArguments">More redis-server arguments, e.g. <c>--loadmodule PATH</c>.</param>
    public static async Task<Fleet> StartRedisAsync(string root, params string[] serverArguments)
    {
        var port = LoopbackPorts.Any();
        var dir = FreshDataDir(root, $"bench-redis-{port}");
        var fleet = new Fleet(root, port, dir, $"127.0.0.1:{port}", "stop");
        await RunAsync(Path.Combine(root, "deploy", "redis.sh"), ["start", port.ToString(CultureInfo.InvariantCulture), dir, .. serverArguments]);
        return fleet;
    }

    /// <summary>
    /// A local Redis Cluster of 3 masters and 3 replicas (<c>deploy/redis.sh cluster</c>) on six free
    /// consecutive ports whose bus ports (+10000) are free too; disposing the fleet stops all six,
    /// also when the cluster never became healthy.
    /// </summary>
    public static async Task<Fleet> StartClusterAsync(string root)
    {
        var port = LoopbackPorts.Range(6, busOffset: 10000);
        var dir = FreshDataDir(root, $"bench-cluster-{port}");
        var script = Path.Combine(root, "deploy", "redis.sh");
        var p = port.ToString(CultureInfo.InvariantCulture);
        try
        {
            var seeds = (await RunAsync(script, "cluster", p, dir)).Trim();
            return new Fleet(root, port, dir, seeds, "cluster-stop");
        }
        catch
        {
            await RunAsync(script, "cluster-stop", p);
            throw;
        }
    }

    /// <summary>Processor time each worker started by <see cref="StartWorker"/> has used so far.</summary>
    public IReadOnlyList<(string Name, TimeSpan Cpu)> WorkerCpu() =>
        workers.Select(w =>
        {
            w.Process.Refresh();
            return (w.Name, w.Process.TotalProcessorTime);
        }).ToArray();

    public void StartWorker(string name, IReadOnlyDictionary<string, string> settings)
    {
        // The workers built beside this program, in the same configuration (release from bench.sh).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var dll = Path.Combine(root, "artifacts", "bin", $"StreamRag.{name}", configuration, $"StreamRag.{name}.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["Redis__Configuration"] = Configuration;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[{name}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        workers.Add((name, process));
    }

    /// <summary>Throws when a worker started by <see cref="StartWorker"/> has exited (its standard error was printed).</summary>
    public void EnsureRunning()
    {
        foreach (var (name, process) in workers.Where(w => w.Process.HasExited))
        {
            throw new InvalidOperationException($"the {name} worker exited with code {process.ExitCode}");
        }
    }

    public async Task StopWorkersAsync()
    {
        foreach (var (_, process) in workers.Where(w => !w.Process.HasExited))
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        foreach (var (_, process) in workers)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }

        workers.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await StopWorkersAsync();
        await RunAsync(Path.Combine(root, "deploy", "redis.sh"), stopVerb, Port.ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover data folder under .run/ is harmless.
        }
    }

    /// <returns>Its standard output.</returns>
    internal static async Task<string> RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {await error}");
        }

        return output;
    }

    private static string FreshDataDir(string root, string name)
    {
        var dir = Path.Combine(root, ".run", name);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        return dir;
    }
}
