using System.Globalization;
using System.Text.RegularExpressions;
using StackExchange.Redis;
using YamlDotNet.RepresentationModel;

namespace StreamRag.IntegrationTests.Prometheus;

/// <summary>
/// A real Prometheus (Debian's 2.42) on the shipped deploy/prometheus/ configuration, scraping a
/// running fleet of the four hosts as separate processes: every target is up, every metric
/// docs/operations.md documents is there with its labels from the hosts it names, and stopping the
/// query worker makes the shipped rules fire.
/// </summary>
public sealed partial class PrometheusFleetTests(RedisServerFixture redis)
{
    /// <summary>Scrape job of deploy/prometheus/prometheus.yml → the host it scrapes (WorkerProcess name, docs' host name).</summary>
    private static readonly Dictionary<string, (string Worker, string Host)> Jobs = new(StringComparer.Ordinal)
    {
        ["streamrag-embedder"] = ("Embedder", "embedder"),
        ["streamrag-query"] = ("Query", "query"),
        ["streamrag-sweeper"] = ("Sweeper", "sweeper"),
        ["streamrag-monitor"] = ("Monitor", "monitor"),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prometheus_ScrapesEveryHost_SeesEveryDocumentedMetric_AndFiresTheRulesWhenTheQueryWorkerStops()
    {
        var binary = PrometheusServer.Find();
        if (binary is null)
        {
            Assert.Skip("prometheus is not installed (deploy/tools.sh installs Debian's prometheus package as root)");
        }

        var documented = DocumentedMetrics.Read(RepoPath("docs/operations.md")).Values.ToArray();
        Assert.True(documented.Length > 20, $"docs/operations.md documents only {documented.Length} metrics: its tables were not found");
        // Fail at once, not after a long wait, on a condition this test does not know how to meet.
        var unknown = documented.Where(m => m.Condition is not null && Expect(m.Condition) == Expectation.Unknown).Select(m => $"{m.Name}: only {m.Condition}").ToArray();
        Assert.True(unknown.Length == 0, "metrics documented with a condition this test neither drives nor rules out (teach Expect about it): " + string.Join("; ", unknown));

        await using var scope = new TestScope(redis);
        var folder = Directory.CreateTempSubdirectory("streamrag-test-prometheus-").FullName;
        var ports = Jobs.Keys.ToDictionary(j => j, _ => LoopbackPorts.Any(), StringComparer.Ordinal);
        var config = WriteTestConfig(folder, ports);

        // An entry delivered to a consumer that then died: the embedder reclaims it (streamrag_consumer_reclaimed_total).
        await scope.Db.StreamCreateConsumerGroupAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, "0-0", createStream: true);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("abandoned", "bees keep the hive warm in winter"));
        Assert.Single(await scope.Db.StreamReadGroupAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, "consumer-that-died", ">", 1));

        var settings = scope.Settings(
            ("Consumer:ClaimIdle", "00:00:01"),
            // Eight-word passages without overlap: a document saying one thing twice has a repeated passage to drop.
            ("Chunking:Size", "8"),
            ("Chunking:Overlap", "0"),
            ("Sweeper:Interval", "00:00:01"),
            ("Monitor:EvaluationInterval", "00:00:00.500"),
            ("Alerts:ConsumerDeadAfter", "00:00:02"),
            ("Alerts:NoConsumerGrace", "00:00:00"),
            // Every query sampled, measured after one sample, and search_ef left alone: the tuner's
            // recall and p99 gauges appear within the run and stay (a change of search_ef resets them).
            ("Query:RecallSampleRate", "1"),
            ("Tuning:Interval", "00:00:00.500"),
            ("Tuning:MinRecallSamples", "1"),
            ("Tuning:MinLatencySamples", "1"),
            ("Tuning:Enabled", "false"));
        var workers = new Dictionary<string, WorkerProcess>(StringComparer.Ordinal);
        try
        {
            foreach (var (job, (worker, _)) in Jobs)
            {
                workers[job] = WorkerProcess.Start(worker, new Dictionary<string, string?>(settings)
                {
                    ["Metrics:PrometheusPort"] = ports[job].ToString(CultureInfo.InvariantCulture),
                });
            }

            var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            await using var prometheus = await PrometheusServer.StartAsync(binary, folder, config, Ct);
            string Hosts() => string.Join("\n", workers.Select(w => $"--- {w.Key}{(w.Value.HasExited ? " (exited)" : "")}:\n{Tail(w.Value.Output)}"));

            await prometheus.WaitAsync(async () => (await TargetHealthAsync(prometheus)).Count(t => t.Value == "up") == Jobs.Count,
                "Prometheus scrapes all four hosts", TimeSpan.FromSeconds(60), Ct,
                async () => $"targets: {string.Join(", ", (await TargetHealthAsync(prometheus)).Select(t => $"{t.Key} {t.Value}"))}\n{Hosts()}");
            Assert.Equal(Jobs.Keys.Order(StringComparer.Ordinal), (await TargetHealthAsync(prometheus)).Keys.Order(StringComparer.Ordinal));

            // Activity that makes the remaining series exist: documents (one with a passage said
            // twice), an event the contract refuses (a dead letter, the monitor's dead_letters alert),
            // and questions all along (latency histograms, caches, recall samples).
            string[] topics = ["bees gather nectar for the hive", "volcanoes erupt with lava and ash", "glaciers carve valleys slowly", "tides follow the moon"];
            // A watch the first note answers (the embedder's watch notification series).
            await using (var watcher = new global::StreamRag.Client.StreamRagClient(redis.Connection, scope.Keys))
            {
                await watcher.RegisterWatchAsync(topics[0], new global::StreamRag.Client.WatchQueryOptions { Threshold = 0.6, NotifyTo = scope.Keys.WatchStreamPrefix + "prometheus", Timeout = TimeSpan.FromSeconds(30) }, Ct);
            }

            for (var i = 0; i < topics.Length; i++)
            {
                await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert($"doc-{i}", $"Note {i}: {topics[i]} and so the notes go on."));
            }

            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, Upsert("twice", "one and the same passage said twice here one and the same passage said twice here"));
            await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("op", "bogus"), new("id", "broken")]);
            using var stopQueries = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var queries = Task.Run(() => QueriesAsync(scope, topics, stopQueries.Token), Ct);
            try
            {
                string[] problems = [];
                await prometheus.WaitAsync(async () =>
                {
                    problems = Check(documented, await SeriesAsync(prometheus, t0));
                    return problems.Length == 0;
                }, "Prometheus has every documented metric with its labels", TimeSpan.FromSeconds(60), Ct,
                    () => Task.FromResult($"{string.Join("\n", problems)}\n{Hosts()}"));
            }
            finally
            {
                await stopQueries.CancelAsync();
                await queries;
            }

            // The shipped rules stay quiet about a fleet whose hosts all run.
            string[] hostRules = ["RagHostDown", "RagNoLiveConsumer"];
            var before = await AlertsAsync(prometheus);
            Assert.DoesNotContain(before, a => hostRules.Contains(a.Name));

            await workers["streamrag-query"].StopAsync(TimeSpan.FromSeconds(10));
            await prometheus.WaitAsync(async () =>
            {
                var firing = (await AlertsAsync(prometheus)).Where(a => a.State == "firing").ToArray();
                return firing.Any(a => a.Name == "RagHostDown" && a.Labels.GetValueOrDefault("job") == "streamrag-query")
                       && firing.Any(a => a.Name == "RagNoLiveConsumer" && a.Labels.GetValueOrDefault("group") == scope.Keys.QueryGroup);
            }, "RagHostDown (job streamrag-query) and RagNoLiveConsumer (group query-workers) fire", TimeSpan.FromSeconds(30), Ct,
                async () => "alerts: " + string.Join("; ", (await AlertsAsync(prometheus)).Select(a => $"{a.Name} {a.State} {string.Join(',', a.Labels.Select(l => $"{l.Key}={l.Value}"))}")));

            // Only the stopped host is down; the embedders' group still has its consumer.
            var after = (await AlertsAsync(prometheus)).Where(a => hostRules.Contains(a.Name)).ToArray();
            Assert.DoesNotContain(after, a => a.Name == "RagHostDown" && a.Labels.GetValueOrDefault("job") != "streamrag-query");
            Assert.DoesNotContain(after, a => a.Name == "RagNoLiveConsumer" && a.Labels.GetValueOrDefault("group") == scope.Keys.EmbedderGroup);
        }
        finally
        {
            foreach (var worker in workers.Values)
            {
                await worker.DisposeAsync();
            }
        }
    }

    private enum Expectation
    {
        /// <summary>The test's activity meets the condition: the metric must be there.</summary>
        Driven,

        /// <summary>The condition cannot hold in this run: the metric must be absent.</summary>
        Absent,

        Unknown,
    }

    /// <summary>How this test meets each "only …" condition of docs/operations.md.</summary>
    private static Expectation Expect(string condition) => condition switch
    {
        // The entry read by "consumer-that-died" before the embedder started.
        _ when condition.Contains("reclaimed entries of a dead one", StringComparison.Ordinal) => Expectation.Driven,
        // The document "twice".
        _ when condition.Contains("a passage was dropped", StringComparison.Ordinal) => Expectation.Driven,
        // The watch registered on the first note, which then matches it.
        _ when condition.Contains("a passage matched a watch", StringComparison.Ordinal) => Expectation.Driven,
        // Tuning:MinRecallSamples and MinLatencySamples 1, every query sampled.
        _ when condition.Contains("the tuner measured the current search_ef", StringComparison.Ordinal) => Expectation.Driven,
        // WorkerProcess pins Index:Engine to vectorset (TestScope.TestEngine): no FT index, so no FT.INFO figures.
        _ when condition.Contains("Index:Engine resolves to search", StringComparison.Ordinal) && TestScope.TestEngine == "vectorset" => Expectation.Absent,
        _ => Expectation.Unknown,
    };

    /// <summary>What is wrong with the series Prometheus holds against the documented metrics (empty when nothing).</summary>
    private static string[] Check(IEnumerable<DocumentedMetric> documented, IReadOnlyDictionary<string, List<Dictionary<string, string>>> series)
    {
        var problems = new List<string>();
        foreach (var metric in documented)
        {
            var names = metric.Type == "histogram" ? new[] { $"{metric.Name}_bucket", $"{metric.Name}_sum", $"{metric.Name}_count" } : [metric.Name];
            var expectation = metric.Condition is null ? Expectation.Driven : Expect(metric.Condition);
            foreach (var name in names)
            {
                var found = series.GetValueOrDefault(name) ?? [];
                if (expectation == Expectation.Absent)
                {
                    if (found.Count > 0)
                    {
                        problems.Add($"{name}: documented as only {metric.Condition}, yet exported");
                    }

                    continue;
                }

                var labels = name.EndsWith("_bucket", StringComparison.Ordinal) ? [.. metric.Labels, "le"] : metric.Labels;
                var labelled = found.Where(s => labels.All(s.ContainsKey)).ToArray();
                var hosts = metric.Hosts.Select(h => $"streamrag-{h}").ToArray();
                var from = labelled.Select(s => s.GetValueOrDefault("job", "")).ToHashSet(StringComparer.Ordinal);
                // A metric that exists only on a condition need exist on one of its hosts; the others on every one.
                var missingFrom = metric.Condition is null ? hosts.Where(h => !from.Contains(h)).ToArray() : hosts.Any(from.Contains) ? [] : hosts;
                if (found.Count == 0)
                {
                    problems.Add($"{name}: no series");
                }
                else if (labelled.Length == 0)
                {
                    problems.Add($"{name}: no series has the labels {string.Join(", ", labels)} (one has {string.Join(", ", found[0].Keys)})");
                }
                else if (missingFrom.Length > 0)
                {
                    problems.Add($"{name}: not exported by {string.Join(", ", missingFrom)} (only by {string.Join(", ", from)})");
                }
            }
        }

        return problems.ToArray();
    }

    /// <summary>Every streamrag_* series Prometheus stored since <paramref name="start"/> (Unix seconds), by metric name.</summary>
    private static async Task<Dictionary<string, List<Dictionary<string, string>>>> SeriesAsync(PrometheusServer prometheus, double start)
    {
        var data = await prometheus.ApiAsync($"api/v1/series?match[]={Uri.EscapeDataString("{__name__=~\"streamrag_.+\"}")}&start={start.ToString("0.###", CultureInfo.InvariantCulture)}", Ct);
        return data.EnumerateArray()
            .Select(s => s.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal))
            .GroupBy(s => s["__name__"], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    /// <summary>Each active target's job and its health (up, down, unknown).</summary>
    private static async Task<Dictionary<string, string>> TargetHealthAsync(PrometheusServer prometheus)
    {
        var data = await prometheus.ApiAsync("api/v1/targets?state=active", Ct);
        return data.GetProperty("activeTargets").EnumerateArray().ToDictionary(
            t => t.GetProperty("labels").GetProperty("job").GetString()!,
            t => t.GetProperty("health").GetString()!,
            StringComparer.Ordinal);
    }

    private sealed record ActiveAlert(string Name, string State, Dictionary<string, string> Labels);

    private static async Task<ActiveAlert[]> AlertsAsync(PrometheusServer prometheus)
    {
        var data = await prometheus.ApiAsync("api/v1/alerts", Ct);
        return data.GetProperty("alerts").EnumerateArray().Select(a =>
        {
            var labels = a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
            return new ActiveAlert(labels["alertname"], a.GetProperty("state").GetString()!, labels);
        }).ToArray();
    }

    /// <summary>
    /// A copy of deploy/prometheus/prometheus.yml with the shipped jobs and rule files, but each job's
    /// target replaced by its host's free port in this test (the shipped default ports may be taken by
    /// another fleet on this machine, and two runs must not scrape each other), scraping and evaluating
    /// every second; and copies of its rule files beside it (see <see cref="TestRules"/>).
    /// </summary>
    private static string WriteTestConfig(string folder, IReadOnlyDictionary<string, int> ports)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(RepoPath("deploy/prometheus/prometheus.yml")))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var global = (YamlMappingNode)root["global"];
        global.Children[new YamlScalarNode("scrape_interval")] = new YamlScalarNode("1s");
        global.Children[new YamlScalarNode("evaluation_interval")] = new YamlScalarNode("1s");
        var jobs = ((YamlSequenceNode)root["scrape_configs"]).Children.Cast<YamlMappingNode>().ToArray();
        Assert.Equal(ports.Keys.Order(StringComparer.Ordinal), jobs.Select(j => ((YamlScalarNode)j["job_name"]).Value!).Order(StringComparer.Ordinal));
        foreach (var job in jobs)
        {
            var port = ports[((YamlScalarNode)job["job_name"]).Value!];
            var target = (YamlMappingNode)Assert.Single(((YamlSequenceNode)job["static_configs"]).Children);
            target.Children[new YamlScalarNode("targets")] = new YamlSequenceNode(new YamlScalarNode($"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"));
        }

        foreach (var rules in ((YamlSequenceNode)root["rule_files"]).Children.Cast<YamlScalarNode>())
        {
            File.WriteAllText(Path.Combine(folder, rules.Value!), TestRules(File.ReadAllText(RepoPath($"deploy/prometheus/{rules.Value}"))));
        }

        var config = Path.Combine(folder, "prometheus.yml");
        using (var writer = new StreamWriter(config))
        {
            stream.Save(writer, assignAnchors: false);
        }

        return config;
    }

    /// <summary>
    /// The shipped rules with each <c>for:</c> shortened to 2 s (RagHostDown waits a minute in
    /// production; the test should not); every expression, label and annotation is the shipped one.
    /// </summary>
    private static string TestRules(string shipped)
    {
        var shortened = ForDuration().Replace(shipped, "${1}2s");
        Assert.NotEqual(shipped, shortened);
        return shortened;
    }

    private static NameValueEntry[] Upsert(string id, string content) =>
        [new("op", "upsert"), new("id", id), new("version", "1"), new("source", "test"), new("content", content)];

    /// <summary>A question every 100 ms (the same few again and again: caches hit too), until cancelled.</summary>
    private static async Task QueriesAsync(TestScope scope, string[] topics, CancellationToken cancellationToken)
    {
        var reply = $"{scope.Prefix}:prometheus-replies";
        for (var i = 0; !cancellationToken.IsCancellationRequested; i++)
        {
            await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, [new("id", $"q{i}"), new("query", topics[i % topics.Length]), new("k", "3"), new("reply_to", reply)]);
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

    private static string Tail(string text) => text.Length <= 2000 ? text : text[^2000..];

    private static string RepoPath(string relative) => Path.Combine(RedisServerFixture.RepositoryRoot(), relative.Replace('/', Path.DirectorySeparatorChar));

    [GeneratedRegex(@"(?m)^([ \t]+for:[ \t]*)\S+[ \t]*$")]
    private static partial Regex ForDuration();
}
