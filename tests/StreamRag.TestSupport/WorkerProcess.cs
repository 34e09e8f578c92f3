using System.Diagnostics;
using System.Text;

namespace StreamRag.TestSupport;

/// <summary>A worker host running as a real, separate process (as in production), which a test can SIGKILL.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private WorkerProcess(Process process)
    {
        this.process = process;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

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

    /// <summary>Starts <c>StreamRag.{worker}</c> built next to the tests, configured through environment variables.</summary>
    public static WorkerProcess Start(string worker, IReadOnlyDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testBin.Name; // debug or release, the same for every project
        var dll = Path.Combine(testBin.Parent!.Parent!.FullName, $"StreamRag.{worker}", configuration, $"StreamRag.{worker}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"worker not built: {dll}");
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        // Pinned like TestScope's settings when the caller did not say: a test server with the
        // Query Engine must not change what the worker builds.
        if (!settings.ContainsKey("Index:Engine"))
        {
            start.Environment["Index__Engine"] = TestScope.TestEngine;
        }

        // The lexical embedder, as in TestScope, unless the scenario names a provider: these
        // processes test the fleet's behaviour under faults, not the model.
        if (!settings.ContainsKey("Embedding:Provider"))
        {
            start.Environment["Embedding__Provider"] = "hashing";
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Test";
        var process = new Process { StartInfo = start };
        var worker_ = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker_.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker_.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker_;
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

    /// <summary>Peak resident memory of the process so far (VmHWM), in bytes; 0 once it has exited.</summary>
    public long PeakMemoryBytes => ReadStatus("VmHWM:");

    /// <summary>Current resident memory of the process (VmRSS), in bytes; 0 once it has exited.</summary>
    public long MemoryBytes => ReadStatus("VmRSS:");

    private long ReadStatus(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            var kb = line?[field.Length..].Trim().Split(' ')[0];
            return kb is null ? 0 : long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Waits for the process to end by itself; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, in-flight work is abandoned mid-batch.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the host's graceful shutdown.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync();
        }

        process.Dispose();
    }
}
