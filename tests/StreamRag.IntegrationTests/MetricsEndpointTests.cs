using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using StreamRag.Monitor;
using StreamRag.Sweeper;

namespace StreamRag.IntegrationTests;

/// <summary>The sweeper and the monitor serve their OpenTelemetry metrics on a Prometheus endpoint, under the documented names.</summary>
[Collection(StreamRag.IntegrationTests.Docs.ProcessMetricsCollection.Name)]
public sealed partial class MetricsEndpointTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Metric names in a Prometheus text exposition.</summary>
    internal static HashSet<string> Names(string exposition) =>
        SampleName().Matches(exposition).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    internal static async Task<string> ScrapeUntilAsync(int port, IReadOnlyCollection<string> expected)
    {
        using var http = new HttpClient();
        var text = "";
        var missing = expected.ToArray();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (missing.Length > 0)
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"port {port} does not serve {string.Join(", ", missing)}; it serves {string.Join(", ", Names(text).Order())}");
            }

            await Task.Delay(100, Ct);
            try
            {
                text = await http.GetStringAsync(new Uri($"http://localhost:{port}/metrics"), Ct);
            }
            catch (HttpRequestException)
            {
                continue;
            }

            var names = Names(text);
            missing = expected.Where(n => !names.Contains(n)).ToArray();
        }

        return text;
    }

    [Fact]
    public async Task Sweeper_ServesItsMetrics()
    {
        await using var scope = new TestScope(redis);
        await scope.Index(16).UpsertAsync(SweeperTests.Doc("old", 1, DateTimeOffset.UtcNow.AddHours(-1)), Ct);
        var port = LoopbackPorts.Any();
        await scope.StartAsync(b => b.AddSweeperWorker(), ("Index:Dimensions", "16"), ("Embedding:Dimensions", "16"), ("Metrics:PrometheusPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await ScrapeUntilAsync(port,
        [
            "streamrag_sweeper_expired_total", "streamrag_sweeper_skipped_total", "streamrag_sweeper_deletions_published_total", "streamrag_sweeper_passes_total",
            "streamrag_sweeper_lag_seconds", "streamrag_sweeper_last_pass_timestamp_seconds",
            // Unlabelled counters nothing has counted yet: exported at 0 from the start (ListeningMeterFactory).
            "streamrag_sweeper_failures_total", "streamrag_sweeper_deletions_recovered_total",
        ]);
    }

    [Fact]
    public async Task Endpoint_AnswersOnLocalhost_And127001_AndNamesTheService()
    {
        await using var scope = new TestScope(redis);
        var port = LoopbackPorts.Any();
        await scope.StartAsync(b => b.AddSweeperWorker(), ("Index:Dimensions", "16"), ("Embedding:Dimensions", "16"), ("Metrics:PrometheusPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await ScrapeUntilAsync(port, ["streamrag_sweeper_passes_total"]);

        using var http = new HttpClient();
        foreach (var host in new[] { "localhost", "127.0.0.1" })
        {
            var text = await http.GetStringAsync(new Uri($"http://{host}:{port}/metrics"), Ct);
            Assert.Contains("streamrag_sweeper_passes_total", text, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^target_info\{.*service_name=""streamrag-sweeper"".*\}", text);
        }
    }

    [Fact]
    public async Task Endpoint_OnEveryInterface_AnswersWhateverHostNameTheScrapeUses()
    {
        await using var scope = new TestScope(redis);
        var port = LoopbackPorts.Any();
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await scope.StartAsync(b => b.AddSweeperWorker(), ("Index:Dimensions", "16"), ("Embedding:Dimensions", "16"), ("Metrics:PrometheusPort", portText), ("Metrics:ListenAddress", "*"));
        await ScrapeUntilAsync(port, ["streamrag_sweeper_passes_total"]);

        // As the compose stack's Prometheus scrapes it: by the service's name, from another container.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{portText}/metrics"));
        request.Headers.Host = $"sweeper:{portText}";
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("streamrag_sweeper_passes_total", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // And on an address of this machine other than loopback, when it has one.
        var external = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (external is not null)
        {
            var text = await http.GetStringAsync(new Uri($"http://{external}:{portText}/metrics"), Ct);
            Assert.Contains("streamrag_sweeper_passes_total", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("example.org")]
    [InlineData("::1")]
    [InlineData("10.1")]
    public async Task BadListenAddress_RefusesToStart_InOneLineNamingTheSetting(string address)
    {
        await using var scope = new TestScope(redis);
        var error = await Assert.ThrowsAsync<StreamRag.Hosting.HostStartupException>(() =>
            scope.StartAsync(b => b.AddSweeperWorker(), ("Metrics:PrometheusPort", LoopbackPorts.Any().ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Metrics:ListenAddress", address)));
        Assert.StartsWith($"Metrics:ListenAddress '{address}' is neither 'localhost', '*' (or 0.0.0.0) nor an IPv4 address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortInUse_RefusesToStart_InOneLineNamingTheSetting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var scope = new TestScope(redis);

        var error = await Assert.ThrowsAsync<StreamRag.Hosting.HostStartupException>(() =>
            scope.StartAsync(b => b.AddSweeperWorker(), ("Metrics:PrometheusPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal($"Metrics:PrometheusPort {port} is in use; set Metrics__PrometheusPort to a free port or 0 to turn the endpoint off", error.Message);
    }

    [Fact]
    public async Task Monitor_ServesItsMetrics()
    {
        await using var scope = new TestScope(redis);
        await scope.Db.StreamCreateConsumerGroupAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, "0-0", createStream: true);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentDeadLetters, "dlq_reason", "x");
        await scope.Db.StreamAddAsync(scope.Keys.QueryMetrics, [new("total_ms", 12), new("search_ms", 3), new("embed_ms", 2), new("ef", 100)]);
        var port = LoopbackPorts.Any();
        await scope.StartAsync(b => b.AddMonitorWorker(), ("Metrics:PrometheusPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Monitor:EvaluationInterval", "00:00:00.200"), ("Alerts:NoConsumerGrace", "00:00:00"));

        var text = await ScrapeUntilAsync(port,
        [
            "streamrag_monitor_ingested_total", "streamrag_monitor_evaluations_total", "streamrag_monitor_alert_transitions_total",
            "streamrag_monitor_window_queries", "streamrag_monitor_window_errors", "streamrag_monitor_query_rate",
            "streamrag_monitor_query_latency_milliseconds", "streamrag_monitor_search_latency_milliseconds", "streamrag_monitor_embed_latency_milliseconds", "streamrag_monitor_cache_hit_ratio",
            "streamrag_redis_used_memory_bytes", "streamrag_redis_maxmemory_bytes", "streamrag_redis_connected_clients", "streamrag_redis_blocked_clients",
            "streamrag_redis_ops_rate", "streamrag_redis_evicted_keys", "streamrag_index_vectors", "streamrag_index_memory_bytes", "streamrag_index_tenants",
            "streamrag_stream_length", "streamrag_dead_letter_length", "streamrag_dead_letter_added_total",
            "streamrag_group_lag", "streamrag_group_pending", "streamrag_group_consumers", "streamrag_group_live_consumers",
            "streamrag_group_max_pending_idle_milliseconds", "streamrag_group_stuck_entries", "streamrag_search_ef", "streamrag_search_tuning_stuck", "streamrag_search_recall_floor", "streamrag_search_ef_max", "streamrag_alert_firing",
        ]);

        // Labels as the Prometheus rules match them.
        Assert.Matches(@"(?m)^streamrag_group_live_consumers\{.*group=""embedders"".*\} 0( |$)", text);
        Assert.Matches(@"(?m)^streamrag_monitor_query_latency_milliseconds\{.*stat=""avg"".*\} 12( |$)", text);
        Assert.Matches(@"(?m)^streamrag_alert_firing\{.*rule=""no_live_consumer"".*\} 1( |$)", text);
    }

    [Fact]
    public async Task MonitorAlerts_AgreeWithThePrometheusRules_OnARecordedScrape()
    {
        var promtool = Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
        if (promtool is null)
        {
            Assert.Skip("promtool is not installed (deploy/tools.sh installs Debian's prometheus package as root)");
        }

        await using var scope = new TestScope(redis);
        // An embedders' group nobody consumes, and slow queries (real time: the monitor runs on the system clock here).
        await scope.Db.StreamCreateConsumerGroupAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, "0-0", createStream: true);
        for (var i = 0; i < 12; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.QueryMetrics, [new("total_ms", 300), new("search_ms", 80), new("embed_ms", 20), new("queue_ms", 200), new("ef", 100)]);
        }

        var port = LoopbackPorts.Any();
        await scope.StartAsync(b => b.AddMonitorWorker(), ("Metrics:PrometheusPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Monitor:EvaluationInterval", "00:00:00.200"), ("Alerts:NoConsumerGrace", "00:00:00"));
        var text = await ScrapeUntilAsync(port, ["streamrag_monitor_window_queries", "streamrag_alert_firing"]);
        string[] provoked = ["no_live_consumer", "query_latency", "search_slow"];
        await TestScope.EventuallyAsync(async () =>
        {
            // All three, not any three: another rule (recall_low, say) may fire first.
            text = await ScrapeUntilAsync(port, ["streamrag_alert_firing"]);
            return FiringRules().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal).IsSupersetOf(provoked);
        }, "the monitor fires the three alerts provoked");
        // The test process hosts other tests' monitors too, and a meter provider hears every meter of
        // its name in the process: series about another test's keys (its dead letters, say) are dropped.
        text = string.Join('\n', text.Split('\n').Where(l => !l.Contains(":{", StringComparison.Ordinal) || l.Contains(scope.Keys.Prefix + ":", StringComparison.Ordinal)));
        var monitorFiring = FiringRules().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        // Each Prometheus rule evaluated over the recorded scrape: does it fire?
        var rulesFile = Path.Combine(RedisServerFixture.RepositoryRoot(), "deploy", "prometheus", "rules.yml");
        var rules = PrometheusRule().Matches(await File.ReadAllTextAsync(rulesFile, Ct))
            .Select(m => (Alert: m.Groups[1].Value, Expr: m.Groups[2].Value.Trim(), Rule: m.Groups[3].Value)).ToArray();
        Assert.Equal(11, rules.Length);
        var firing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (alert, expr, rule) in rules)
        {
            if (await FiresAsync(promtool, text, expr))
            {
                firing.Add(rule);
            }
        }

        // What else fires depends on the shared server (its memory, say); the claim is that the three
        // provoked here fire and that Prometheus's rules agree with the monitor on every rule.
        var alertLines = string.Join('\n', text.Split('\n').Where(l => l.StartsWith("streamrag_alert_firing", StringComparison.Ordinal)));
        Assert.True(monitorFiring.IsSupersetOf(provoked), $"the monitor fires [{string.Join(", ", monitorFiring.Order())}]:\n{alertLines}");
        Assert.True(monitorFiring.SetEquals(firing), $"the monitor fires [{string.Join(", ", monitorFiring.Order())}], the Prometheus rules [{string.Join(", ", firing.Order())}]:\n{alertLines}");
    }

    /// <summary>Runs promtool over the scrape (every sample held for a minute) and says whether the expression returns anything.</summary>
    private static async Task<bool> FiresAsync(string promtool, string exposition, string expr)
    {
        var dir = Directory.CreateTempSubdirectory("streamrag-promtool-");
        try
        {
            var yaml = new System.Text.StringBuilder();
            yaml.AppendLine("evaluation_interval: 15s").AppendLine("tests:").AppendLine("  - interval: 15s").AppendLine("    input_series:");
            foreach (var line in exposition.Split('\n'))
            {
                if (line.StartsWith('#') || line.StartsWith("target_info", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                var close = line.LastIndexOf('}');
                var series = close < 0 ? line[..line.IndexOf(' ', StringComparison.Ordinal)] : line[..(close + 1)];
                var value = line[(series.Length + 1)..].Split(' ')[0];
                series = close < 0 ? series + "{job=\"streamrag-monitor\"}" : series[..^1] + ",job=\"streamrag-monitor\"}";
                yaml.AppendLine($"      - series: '{series.Replace("'", "''", StringComparison.Ordinal)}'");
                yaml.AppendLine($"        values: '{string.Join(' ', Enumerable.Repeat(value, 5))}'");
            }

            yaml.AppendLine("    promql_expr_test:");
            yaml.AppendLine($"      - expr: 'count({expr.Replace("'", "''", StringComparison.Ordinal)}) or vector(0)'");
            yaml.AppendLine("        eval_time: 1m").AppendLine("        exp_samples:").AppendLine("          - labels: '{}'").AppendLine("            value: 0");
            var file = Path.Combine(dir.FullName, "recorded.test.yml");
            await File.WriteAllTextAsync(file, yaml.ToString(), Ct);

            var start = new System.Diagnostics.ProcessStartInfo(promtool) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("test");
            start.ArgumentList.Add("rules");
            start.ArgumentList.Add(file);
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(Ct) + await process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            // Expecting 0: success means quiet; a mismatch naming value 1 (or more) means it fires.
            if (process.ExitCode == 0)
            {
                return false;
            }

            Assert.True(output.Contains("exp:", StringComparison.Ordinal) && output.Contains("got:", StringComparison.Ordinal), $"promtool failed on '{expr}': {output}");
            return true;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"(?m)^streamrag_alert_firing\{[^\n]*rule=""(\w+)""[^\n]*\} 1( |$)")]
    private static partial Regex FiringRules();

    [GeneratedRegex(@"- alert: (\w+)\s+expr: ([^\n]+)\n(?:\s+for: [^\n]+\n)?\s+labels:\s+severity: \w+\s+rule: (\w+)")]
    private static partial Regex PrometheusRule();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", RegexOptions.Multiline)]
    private static partial Regex SampleName();
}
