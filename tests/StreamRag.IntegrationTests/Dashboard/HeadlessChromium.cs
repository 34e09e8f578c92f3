using System.Diagnostics;
using System.Text;

namespace StreamRag.IntegrationTests.Dashboard;

/// <summary>
/// Debian's chromium, run headless on one page: its DOM after the page's scripts ran for a while,
/// or a screenshot. Each run gets a profile directory of its own (other test runs on the machine
/// may run a browser at the same time) and virtual time: the page's timers run through the budget
/// as fast as the page's requests to the server allow, without a fixed wait.
/// </summary>
internal sealed class HeadlessChromium(string executable)
{
    public static HeadlessChromium? Find()
    {
        foreach (var name in new[] { "chromium", "chromium-browser" })
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path))
                {
                    return new HeadlessChromium(path);
                }
            }
        }

        return null;
    }

    /// <summary>The page's serialized DOM after <paramref name="virtualTime"/> of its own time.</summary>
    public async Task<string> DumpDomAsync(Uri page, TimeSpan virtualTime, CancellationToken cancellationToken) =>
        (await RunAsync(["--dump-dom", Budget(virtualTime), page.ToString()], cancellationToken)).Output;

    /// <summary>A PNG of the page at <paramref name="width"/> × <paramref name="height"/> after <paramref name="virtualTime"/>.</summary>
    public async Task ScreenshotAsync(Uri page, string path, int width, int height, TimeSpan virtualTime, CancellationToken cancellationToken)
    {
        var (_, log) = await RunAsync([$"--screenshot={path}", $"--window-size={width},{height}", "--hide-scrollbars", Budget(virtualTime), page.ToString()], cancellationToken);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"chromium wrote no screenshot: {log}");
        }
    }

    private static string Budget(TimeSpan time) => $"--virtual-time-budget={(long)time.TotalMilliseconds}";

    private async Task<(string Output, string Log)> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("streamrag-chromium-");
        try
        {
            var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
            foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage", $"--user-data-dir={profile.FullName}" }.Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var log = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            };
            process.BeginErrorReadLine();
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish within 90 s: {log}");
            }

            var text = await output;
            string messages;
            lock (log)
            {
                messages = log.ToString();
            }

            return process.ExitCode == 0 ? (text, messages) : throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {messages}");
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A crash handler may still hold a file: the temp directory is cleaned by the system.
            }
        }
    }
}
