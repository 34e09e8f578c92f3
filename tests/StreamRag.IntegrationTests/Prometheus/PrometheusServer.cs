using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamRag.IntegrationTests.Prometheus;

/// <summary>
/// Debian's Prometheus server (<c>/usr/bin/prometheus</c>, the <c>prometheus</c> package
/// deploy/tools.sh installs) on a loopback port of its own, its storage in a temporary folder that
/// goes with it, and its HTTP API.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string folder;
    private readonly StringBuilder output = new();
    private readonly HttpClient http;

    private PrometheusServer(Process process, string folder, Uri address)
    {
        this.process = process;
        this.folder = folder;
        Address = address;
        http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

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

    /// <summary>The server binary on PATH or at /usr/bin/prometheus; null when the package is not installed.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(d => Path.Combine(d, "prometheus"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts it on <paramref name="config"/> (a file in <paramref name="folder"/>, which it then owns) and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string binary, string folder, string config, CancellationToken cancellationToken)
    {
        var port = LoopbackPorts.Any();
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add($"--config.file={config}");
        start.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(folder, "data")}");
        start.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var process = new Process { StartInfo = start };
        var server = new PrometheusServer(process, folder, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitAsync(async () =>
            {
                Assert.False(process.HasExited, $"prometheus exited at start:\n{server.Output}");
                try
                {
                    return (await server.http.GetAsync(new Uri("-/ready", UriKind.Relative), cancellationToken)).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "prometheus is ready", TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>GETs an API path (e.g. <c>api/v1/targets</c>) and returns its <c>data</c>, failing on an error status.</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        var body = await http.GetStringAsync(new Uri(pathAndQuery, UriKind.Relative), cancellationToken);
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("status").GetString() == "success", $"{pathAndQuery}: {body}");
        return json.RootElement.GetProperty("data").Clone();
    }

    /// <summary>Polls until the condition holds, failing with the server's log after the timeout.</summary>
    public async Task WaitAsync(Func<Task<bool>> condition, string because, TimeSpan timeout, CancellationToken cancellationToken, Func<Task<string>>? diagnostics = null)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                var detail = diagnostics is null ? "" : await diagnostics();
                Assert.Fail($"timed out after {timeout.TotalSeconds:0} s waiting until {because}\n{detail}\nprometheus log (tail):\n{Tail(Output, 3000)}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static string Tail(string text, int chars) => text.Length <= chars ? text : text[^chars..];

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

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held: the temporary folder is cleaned by the system.
        }
    }
}
