using System.Text.Json;
using System.Text.RegularExpressions;
using StreamRag.Hosting;
using YamlDotNet.RepresentationModel;

namespace StreamRag.UnitTests;

/// <summary>
/// docker-compose.yml as the full stack, checked against the repository without a Docker engine:
/// every service is there with a restart policy and a health check, what it depends on exists, every
/// file it mounts or builds from exists, the hosts' metrics ports match their defaults and the
/// Prometheus scrape targets, Grafana's datasource and dashboard fit together, and every metric the
/// Grafana dashboard and the Prometheus rules use is one docs/operations.md documents.
/// </summary>
public sealed partial class ComposeStackTests
{
    /// <summary>Host service → its scrape job (the jobs of deploy/prometheus/prometheus.yml).</summary>
    private static readonly Dictionary<string, string> Hosts = new(StringComparer.Ordinal)
    {
        ["embedder"] = "streamrag-embedder",
        ["query"] = "streamrag-query",
        ["sweeper"] = "streamrag-sweeper",
        ["monitor"] = "streamrag-monitor",
    };

    /// <summary>Series Prometheus makes itself.</summary>
    private static readonly HashSet<string> BuiltInSeries = new(StringComparer.Ordinal) { "up", "ALERTS", "ALERTS_FOR_STATE" };

    private static readonly HashSet<string> PromQlKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan",
    };

    /// <summary>The repository root (the folder of StreamRag.sln above the test binaries).</summary>
    internal static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRag.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamRag.sln not found above the test binaries");
    }

    private static string RepoPath(string relative) => Path.Combine(Root(), relative.Replace('/', Path.DirectorySeparatorChar));

    private static YamlMappingNode Yaml(string relative)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(RepoPath(relative));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Services => (YamlMappingNode)Yaml("docker-compose.yml")["services"];

    private static YamlMappingNode Service(string name) => (YamlMappingNode)Services[name];

    private static YamlNode? Get(YamlMappingNode node, string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static string? Environment(YamlMappingNode service, string name) =>
        Get(service, "environment") is YamlMappingNode env && Get(env, name) is { } value ? Scalar(value) : null;

    [Fact]
    public void EveryServiceOfTheStack_IsThere_WithARestartPolicyAndAHealthCheck()
    {
        var names = Services.Children.Keys.Select(Scalar).ToArray();
        Assert.Equal(["redis", "embedder", "query", "sweeper", "monitor", "prometheus", "grafana"], names);
        foreach (var (key, node) in Services.Children)
        {
            var service = (YamlMappingNode)node;
            var name = Scalar(key);
            Assert.True(Get(service, "restart") is YamlScalarNode { Value: "unless-stopped" or "always" or "on-failure" }, $"{name} has no restart policy");
            Assert.True(Get(service, "healthcheck") is YamlMappingNode check && Get(check, "test") is YamlSequenceNode { Children.Count: > 1 }, $"{name} has no health check");
        }
    }

    [Fact]
    public void DependenciesAndNamedVolumes_Exist()
    {
        var names = Services.Children.Keys.Select(Scalar).ToHashSet(StringComparer.Ordinal);
        var volumes = ((YamlMappingNode)Yaml("docker-compose.yml")["volumes"]).Children.Keys.Select(Scalar).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, node) in Services.Children)
        {
            var service = (YamlMappingNode)node;
            var dependencies = Get(service, "depends_on") switch
            {
                YamlSequenceNode list => list.Children.Select(Scalar),
                YamlMappingNode map => map.Children.Keys.Select(Scalar),
                _ => [],
            };
            foreach (var dependency in dependencies)
            {
                Assert.True(names.Contains(dependency), $"{Scalar(key)} depends on {dependency}, which is not a service");
            }

            foreach (var volume in Mounts(service).Where(m => !m.Source.StartsWith('.')))
            {
                Assert.True(volumes.Contains(volume.Source), $"{Scalar(key)} mounts volume {volume.Source}, which is not declared");
            }
        }

        // The hosts start only once Redis is healthy.
        foreach (var host in Hosts.Keys)
        {
            var redis = Assert.IsType<YamlMappingNode>(Get((YamlMappingNode)Get(Service(host), "depends_on")!, "redis"));
            Assert.Equal("service_healthy", Scalar(redis["condition"]));
        }
    }

    [Fact]
    public void EveryMountedFileAndDockerfile_ExistsInTheRepository()
    {
        foreach (var (key, node) in Services.Children)
        {
            var service = (YamlMappingNode)node;
            foreach (var mount in Mounts(service).Where(m => m.Source.StartsWith('.')))
            {
                var path = RepoPath(mount.Source);
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{Scalar(key)} mounts {mount.Source}, which does not exist");
            }

            if (Get(service, "build") is YamlMappingNode build)
            {
                var dockerfile = Scalar(build["dockerfile"]);
                Assert.True(File.Exists(RepoPath(dockerfile)), $"{Scalar(key)} builds from {dockerfile}, which does not exist");
                var project = Path.GetFileName(Path.GetDirectoryName(dockerfile))!;
                Assert.Contains($"{project}.csproj", File.ReadAllText(RepoPath(dockerfile)), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void HostMetricsPorts_MatchTheirDefaults_AndBothScrapeConfigs()
    {
        var local = ScrapeTargets("deploy/prometheus/prometheus.yml");
        var compose = ScrapeTargets("deploy/prometheus/prometheus.compose.yml");
        Assert.Equal(local.Keys.Order(StringComparer.Ordinal), compose.Keys.Order(StringComparer.Ordinal));
        foreach (var (service, job) in Hosts)
        {
            var node = Service(service);
            var dockerfile = Scalar(((YamlMappingNode)node["build"])["dockerfile"]);
            var program = File.ReadAllText(Path.Combine(Path.GetDirectoryName(RepoPath(dockerfile))!, "Program.cs"));
            var defaultPort = DefaultMetricsPort().Match(program);
            Assert.True(defaultPort.Success, $"{dockerfile}: Program.cs passes StreamRagHost.RunAsync no default scrape port");

            var port = Environment(node, "Metrics__PrometheusPort");
            Assert.Equal(defaultPort.Groups[1].Value, port);
            // The prometheus service scrapes from another container: the endpoint must listen beyond loopback.
            Assert.Equal(MetricsOptions.AnyAddress, Environment(node, "Metrics__ListenAddress"));
            Assert.Equal($"localhost:{port}", Assert.Single(local[job]));
            Assert.Equal($"{service}:{port}", Assert.Single(compose[job]));
            Assert.Contains(port!, string.Join(' ', ((YamlSequenceNode)((YamlMappingNode)node["healthcheck"])["test"]).Children.Select(Scalar)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MonitorDashboard_IsPublishedOnTheHostsLoopback_AndHealthChecked()
    {
        var monitor = Service("monitor");
        var port = Environment(monitor, "Dashboard__Port");
        Assert.NotNull(port);
        Assert.Equal("*", Environment(monitor, "Dashboard__Address"));
        Assert.Contains($"127.0.0.1:{port}:{port}", ((YamlSequenceNode)monitor["ports"]).Children.Select(Scalar));
        var check = string.Join(' ', ((YamlSequenceNode)((YamlMappingNode)monitor["healthcheck"])["test"]).Children.Select(Scalar));
        Assert.Contains($"/dev/tcp/127.0.0.1/{port}", check, StringComparison.Ordinal);
        Assert.Contains("/api/status", check, StringComparison.Ordinal);
    }

    [Fact]
    public void Prometheus_LoadsAMountedConfig_WhoseRuleFilesAreMountedBesideIt()
    {
        var prometheus = Service("prometheus");
        var mounts = Mounts(prometheus).ToDictionary(m => m.Target, m => m.Source, StringComparer.Ordinal);
        var config = ((YamlSequenceNode)prometheus["command"]).Children.Select(Scalar).Single(a => a.StartsWith("--config.file=", StringComparison.Ordinal))["--config.file=".Length..];
        Assert.True(mounts.TryGetValue(config, out var source), $"prometheus loads {config}, which is not mounted");
        foreach (var rules in (YamlSequenceNode)Yaml(source.TrimStart('.', '/'))["rule_files"])
        {
            var target = $"{Path.GetDirectoryName(config)}/{Scalar(rules)}";
            Assert.True(mounts.TryGetValue(target, out var ruleSource), $"prometheus loads rules {target}, which are not mounted");
            Assert.Equal($"./deploy/prometheus/{Scalar(rules)}", ruleSource);
        }
    }

    [Fact]
    public void Grafana_DatasourcePointsAtPrometheus_AndTheDashboardIsProvisioned()
    {
        var grafana = Service("grafana");
        var mounts = Mounts(grafana).ToDictionary(m => m.Target, m => m.Source, StringComparer.Ordinal);
        var datasources = Yaml(mounts["/etc/grafana/provisioning/datasources"].TrimStart('.', '/') + "/prometheus.yml");
        var source = (YamlMappingNode)((YamlSequenceNode)datasources["datasources"]).Children.Single();
        var url = new Uri(Scalar(source["url"]));
        Assert.Equal("prometheus", url.Host);
        Assert.Contains("127.0.0.1:9090:" + url.Port, ((YamlSequenceNode)Service("prometheus")["ports"]).Children.Select(Scalar));

        var provider = (YamlMappingNode)((YamlSequenceNode)Yaml(mounts["/etc/grafana/provisioning/dashboards"].TrimStart('.', '/') + "/streamrag.yml")["providers"]).Children.Single();
        var path = Scalar(((YamlMappingNode)provider["options"])["path"]);
        Assert.True(mounts.TryGetValue(path, out var dashboards), $"the dashboard provider reads {path}, which is not mounted");
        Assert.True(File.Exists(RepoPath(dashboards.TrimStart('.', '/') + "/streamrag.json")));

        // Every panel and query uses the provisioned datasource.
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepoPath("deploy/grafana/dashboards/streamrag.json")));
        var uid = Scalar(source["uid"]);
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            Assert.Equal(uid, panel.GetProperty("datasource").GetProperty("uid").GetString());
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                Assert.Equal(uid, target.GetProperty("datasource").GetProperty("uid").GetString());
            }
        }
    }

    [Fact]
    public void EveryMetricOfTheGrafanaDashboardAndThePrometheusRules_IsDocumented()
    {
        var documented = DocumentedMetrics();
        Assert.True(documented.Count > 20, $"docs/operations.md documents only {documented.Count} metrics: its tables were not found");

        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepoPath("deploy/grafana/dashboards/streamrag.json")));
        var used = new List<(string Where, string Metric)>();
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                used.AddRange(MetricNames(target.GetProperty("expr").GetString()!).Select(m => ($"Grafana panel '{panel.GetProperty("title").GetString()}'", m)));
            }
        }

        var panels = used.Count;
        foreach (var rule in ((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)Yaml("deploy/prometheus/rules.yml")["groups"]).Children[0])["rules"]).Children.Cast<YamlMappingNode>())
        {
            used.AddRange(MetricNames(Scalar(rule["expr"])).Select(m => ($"rule {Scalar(rule["alert"])}", m)));
        }

        Assert.True(panels > 20 && used.Count > panels, "no metric names were read from the dashboard or the rules");
        var undocumented = used.Where(u => !BuiltInSeries.Contains(u.Metric) && !IsDocumented(u.Metric, documented)).Select(u => $"{u.Where}: {u.Metric}").Distinct().ToArray();
        Assert.True(undocumented.Length == 0, "not documented in docs/operations.md: " + string.Join("; ", undocumented));
    }

    [Theory]
    [InlineData("rag_a{stat=\"p95\"} > 50 and on(instance) rag_b >= 10", "rag_a,rag_b")]
    [InlineData("histogram_quantile(0.95, sum by (le) (rate(rag_h_bucket[5m])))", "rag_h_bucket")]
    [InlineData("rag_c - (rag_c offset 1m) >= 1", "rag_c,rag_c")]
    [InlineData("time() - rag_d > 120", "rag_d")]
    [InlineData("sum(ALERTS{alertstate=\"firing\"}) or vector(0)", "ALERTS")]
    public void MetricNames_AreReadFromPromQl(string expr, string expected) =>
        Assert.Equal(expected.Split(','), MetricNames(expr));

    /// <summary>A histogram is used through its _bucket, _sum and _count series.</summary>
    private static bool IsDocumented(string metric, IReadOnlyDictionary<string, string> documented) =>
        documented.ContainsKey(metric)
        || HistogramSeries().Match(metric) is { Success: true } m && documented.GetValueOrDefault(m.Groups[1].Value) == "histogram";

    /// <summary>Metric → type, from the metric tables of docs/operations.md.</summary>
    private static Dictionary<string, string> DocumentedMetrics() =>
        TestSupport.DocumentedMetrics.Read(RepoPath("docs/operations.md")).Values.ToDictionary(m => m.Name, m => m.Type, StringComparer.Ordinal);

    /// <summary>The series names a PromQL expression reads (not functions, keywords, label names or durations).</summary>
    internal static IReadOnlyList<string> MetricNames(string expr)
    {
        var text = QuotedString().Replace(expr, "\"\"");
        text = LabelMatchers().Replace(text, " ");
        text = RangeOrSubquery().Replace(text, " ");
        text = GroupingClause().Replace(text, " ");
        return Identifier().Matches(text).Select(m => m.Groups[1].Value).Where(n => !PromQlKeywords.Contains(n)).ToArray();
    }

    private static IEnumerable<(string Source, string Target)> Mounts(YamlMappingNode service) =>
        Get(service, "volumes") is YamlSequenceNode volumes
            ? volumes.Children.Select(Scalar).Select(v => v.Split(':')).Select(p => (p[0], p[1]))
            : [];

    private static Dictionary<string, string[]> ScrapeTargets(string relative) =>
        ((YamlSequenceNode)Yaml(relative)["scrape_configs"]).Children.Cast<YamlMappingNode>().ToDictionary(
            job => Scalar(job["job_name"]),
            job => ((YamlSequenceNode)job["static_configs"]).Children.Cast<YamlMappingNode>()
                .SelectMany(c => ((YamlSequenceNode)c["targets"]).Children.Select(Scalar)).ToArray(),
            StringComparer.Ordinal);

    // Program.cs: StreamRagHost.RunAsync(args, <default scrape port>, ...).
    [GeneratedRegex(@"StreamRagHost\.RunAsync\(args, (\d+),")]
    private static partial Regex DefaultMetricsPort();

    [GeneratedRegex(@"^(.+)_(?:bucket|sum|count)$")]
    private static partial Regex HistogramSeries();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex QuotedString();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex GroupingClause();

    [GeneratedRegex(@"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")]
    private static partial Regex Identifier();
}
