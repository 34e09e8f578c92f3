using System.Diagnostics;
using System.Text.Json;
using Spectre.Console.Testing;
using StreamRag.Cli;

namespace StreamRag.CliTests;

/// <summary>What one CLI run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Output).RootElement;
}

/// <summary>Runs <c>streamrag</c> against a test scope: in-process through its CommandApp with a recording console, or as the built program.</summary>
public static class Cli
{
    /// <summary>Runs the command in-process with this scope's Redis and prefix appended.</summary>
    public static async Task<CliRun> RunAsync(TestScope scope, CancellationToken cancellation, params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 250;
        var error = new StringWriter();
        var exit = await StreamRagCli.RunAsync([.. args, "--redis", scope.Redis.Configuration, "--prefix", scope.Prefix], console, error, cancellation);
        return new CliRun(exit, console.Output, error.ToString());
    }

    public static Task<CliRun> RunAsync(TestScope scope, params string[] args) => RunAsync(scope, TestContext.Current.CancellationToken, args);

    /// <summary>Runs the built <c>streamrag.dll</c> as a process (no arguments appended).</summary>
    public static async Task<CliRun> RunProcessAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(testBin.Parent!.Parent!.FullName, "StreamRag.Cli", testBin.Name, "streamrag.dll");
        Assert.True(File.Exists(dll), $"the CLI is not built: {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await output, await error);
    }
}
