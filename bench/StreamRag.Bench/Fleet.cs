using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace StreamRag.Bench;

/// <summary>Redis and the worker hosts as separate processes, as in production.</summary>
internal sealed class Fleet : IAsyncDisposable
{
    private readonly string root;
    private readonly List<(string Name, Process Process)> workers = [];

    private Fleet(string root, int port, string dataDir)
    {
        this.root = root;
        Port = port;
        DataDir = dataDir;
    }

    public int Port { get; }

    public string DataDir { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<Fleet> StartRedisAsync(string root)
    {
        var port = FreePort();
        var dir = Path.Combine(root, ".run", $"bench-redis-{port}");
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        var fleet = new Fleet(root, port, dir);
        await RunAsync(Path.Combine(root, "deploy", "redis.sh"), "start", port.ToString(CultureInfo.InvariantCulture), dir);
        return fleet;
    }

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
        await RunAsync(Path.Combine(root, "deploy", "redis.sh"), "stop", Port.ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover data folder under .run/ is harmless.
        }
    }

    internal static async Task RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
