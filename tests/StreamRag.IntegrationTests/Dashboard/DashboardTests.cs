using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamRag.Monitor;
using StreamRag.Monitor.Dashboard;

namespace StreamRag.IntegrationTests.Dashboard;

/// <summary>
/// The monitor's live dashboard in a real browser (Debian's headless chromium) against a running
/// fleet: the page loads, every chart draws points from the fleet's traffic, the page keeps
/// polling, and an alert the fleet fires appears on it. A screenshot of the run goes to
/// <c>.run/dashboard.png</c> (with <c>STREAMRAG_UPDATE_SCREENSHOT=1</c>, also to <c>docs/dashboard.png</c>).
/// </summary>
public sealed partial class DashboardTests(RedisServerFixture redis)
{
    private static readonly string[] Charts = ["queries", "ingestion", "streams", "memory", "index", "ef"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Page_DrawsTheRunningFleet_AndShowsAnAlertItFired()
    {
        var chromium = HeadlessChromium.Find();
        if (chromium is null)
        {
            Assert.Skip("chromium is not installed (deploy/tools.sh installs Debian's chromium)");
        }

        if (!new DashboardAssets().HasChartLibrary)
        {
            Assert.SkipUnless(CanRun("npm", "--version"), "the monitor was built without npm, so without the dashboard's chart library (deploy/tools.sh installs Node.js and npm)");
            Assert.Fail("npm is installed but the monitor was built without the dashboard's chart library (see the InstallDashboardPackages target of StreamRag.Monitor.csproj)");
        }

        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        var port = LoopbackPorts.Any();
        await scope.StartAsync(b => b.AddMonitorWorker(),
            ("Dashboard:Port", port.ToString(CultureInfo.InvariantCulture)),
            ("Dashboard:RefreshInterval", "00:00:00.250"),
            ("Monitor:EvaluationInterval", "00:00:00.250"));
        var page = new Uri($"http://127.0.0.1:{port}/");

        using var stopTraffic = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var traffic = Task.Run(() => TrafficAsync(scope, stopTraffic.Token), Ct);
        try
        {
            using var http = new HttpClient();
            // The monitor counts dead letters from its first look on: one made before that is its
            // baseline, not growth. So the bad event goes in once the monitor has evaluated.
            await TestScope.EventuallyAsync(async () =>
            {
                using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(page, DashboardServer.StatusPath), Ct));
                return status.RootElement.GetProperty("latest").ValueKind == JsonValueKind.Object;
            }, "the monitor has evaluated once", TimeSpan.FromSeconds(60));

            // A standing query: the dashboard counts the fleet's watches.
            await using (var watcher = new global::StreamRag.Client.StreamRagClient(redis.Connection, scope.Keys))
            {
                await watcher.RegisterWatchAsync("bees and their hive", new global::StreamRag.Client.WatchQueryOptions { Threshold = 0.9 }, Ct);
            }

            // An event the contract refuses: the embedder dead-letters it, and the monitor fires dead_letters.
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("op", "bogus"), new("id", "broken")]);

            await TestScope.EventuallyAsync(async () =>
            {
                using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(page, DashboardServer.StatusPath), Ct));
                var root = status.RootElement;
                var latest = root.GetProperty("latest");
                return latest.ValueKind == JsonValueKind.Object
                       && latest.GetProperty("queriesPerSecond").GetDouble() > 0
                       && latest.GetProperty("vectors").GetInt64() > 0
                       && latest.GetProperty("watches").GetInt64() == 1
                       && root.GetProperty("history").GetProperty("eventsPerSecond").EnumerateArray().Any(v => v.ValueKind == JsonValueKind.Number && v.GetDouble() > 0)
                       && root.GetProperty("history").GetProperty("t").GetArrayLength() >= 8
                       && root.GetProperty("activeAlerts").EnumerateArray().Any(a => a.GetProperty("rule").GetString() == AlertRules.DeadLetters);
            }, "the monitor has figures of queries, documents, the watch and a dead_letters alert", TimeSpan.FromSeconds(60));

            var dom = await chromium.DumpDomAsync(page, TimeSpan.FromSeconds(3), Ct);

            var body = Attributes(dom, "body");
            Assert.Equal("uplot", body.GetValueOrDefault("data-charts"));
            // The page polled again and again within its 3 s: it updates live.
            Assert.True(int.Parse(body["data-updates"], CultureInfo.InvariantCulture) >= 3, $"the page updated {body["data-updates"]} times");
            foreach (var chart in Charts)
            {
                var attributes = Attributes(dom, $"chart-{chart}");
                Assert.True(int.Parse(attributes["data-points"], CultureInfo.InvariantCulture) >= 8, $"chart {chart} has {attributes["data-points"]} points");
                Assert.True(int.Parse(attributes["data-drawn"], CultureInfo.InvariantCulture) >= 1, $"chart {chart} was never drawn");
                Assert.Contains("<canvas", Segment(dom, $"chart-{chart}", "</figure>"), StringComparison.Ordinal);
            }

            // The figures are the fleet's: queries are answered, passages are indexed.
            Assert.True(Last(dom, "queries")[0] > 0, "the query chart's last rate is 0");
            Assert.True(Last(dom, "index")[0] > 0, "the index chart's last size is 0");
            Assert.Equal(1, Last(dom, "index")[1]);
            Assert.Matches(AlertRow(AlertRules.DeadLetters), Segment(dom, "active-alerts", "</table>"));

            var shot = Path.Combine(RepositoryRoot(), ".run", "dashboard.png");
            Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
            await chromium.ScreenshotAsync(page, shot, 1400, 1700, TimeSpan.FromSeconds(3), Ct);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await File.ReadAllBytesAsync(shot, Ct))[..4]);
            if (Environment.GetEnvironmentVariable("STREAMRAG_UPDATE_SCREENSHOT") == "1")
            {
                File.Copy(shot, Path.Combine(RepositoryRoot(), "docs", "dashboard.png"), overwrite: true);
            }
        }
        finally
        {
            await stopTraffic.CancelAsync();
            await traffic;
        }
    }

    [Fact]
    public async Task BadAddress_StopsStartUp_NamingTheSetting()
    {
        await using var scope = new TestScope(redis);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => scope.StartAsync(b => b.AddMonitorWorker(), ("Dashboard:Port", "1"), ("Dashboard:Address", "example.org")));
        Assert.Contains("Dashboard:Address 'example.org'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortInUse_StopsStartUp_NamingTheSetting()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var scope = new TestScope(redis);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => scope.StartAsync(b => b.AddMonitorWorker(), ("Dashboard:Port", port.ToString(CultureInfo.InvariantCulture))));
        Assert.Contains($"port {port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Set Dashboard:Port to a free port", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A document about every 100 ms and a few questions with it, until cancelled.</summary>
    private static async Task TrafficAsync(TestScope scope, CancellationToken cancellationToken)
    {
        string[] topics = ["bees gather nectar for the hive", "volcanoes erupt with lava and ash", "glaciers carve valleys slowly", "tides follow the moon", "forests store carbon in wood"];
        var reply = $"{scope.Prefix}:dashboard-replies";
        for (var i = 0; !cancellationToken.IsCancellationRequested; i++)
        {
            var topic = topics[i % topics.Length];
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents,
            [
                new("op", "upsert"), new("id", $"doc-{i}"), new("version", "1"), new("source", "test"),
                new("content", $"Note {i}: {topic}. Written for the dashboard test, passage {i}."),
            ]);
            for (var q = 0; q < 3; q++)
            {
                await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, [new("id", $"q{i}-{q}"), new("query", topic), new("k", "3"), new("reply_to", reply)]);
            }

            try
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Attributes of the element with that id (or of the body), HTML entities decoded.</summary>
    private static Dictionary<string, string> Attributes(string dom, string id)
    {
        var tag = id == "body" ? BodyTag().Match(dom) : Regex.Match(dom, $"<[a-z]+\\s[^>]*\\bid=\"{Regex.Escape(id)}\"[^>]*>", RegexOptions.None, TimeSpan.FromSeconds(5));
        Assert.True(tag.Success, $"the page has no element {id}");
        return AttributePair().Matches(tag.Value).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value), StringComparer.Ordinal);
    }

    /// <summary>The markup from the element with that id to the next <paramref name="end"/> (the element's container's closing tag).</summary>
    private static string Segment(string dom, string id, string end)
    {
        var start = dom.IndexOf($"id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the page has no element {id}");
        var stop = dom.IndexOf(end, start, StringComparison.Ordinal);
        return dom[start..(stop < 0 ? dom.Length : stop)];
    }

    private static double[] Last(string dom, string chart) =>
        JsonSerializer.Deserialize<double?[]>(Attributes(dom, $"chart-{chart}")["data-last"])!.Select(v => v ?? 0).ToArray();

    private static Regex AlertRow(string rule) => new($"<tr [^>]*data-rule=\"{rule}\"[^>]*data-state=\"firing\"", RegexOptions.None, TimeSpan.FromSeconds(5));

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamRag.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("StreamRag.sln not found above the test binaries");
    }

    private static bool CanRun(string program, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [GeneratedRegex("<body[^>]*>")]
    private static partial Regex BodyTag();

    [GeneratedRegex("([a-z][a-z0-9-]*)=\"([^\"]*)\"")]
    private static partial Regex AttributePair();
}
