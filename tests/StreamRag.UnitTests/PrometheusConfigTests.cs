using System.Diagnostics;
using System.Text.RegularExpressions;

namespace StreamRag.UnitTests;

/// <summary>deploy/prometheus/ checked by promtool (Debian's prometheus package; deploy/tools.sh installs it).</summary>
public sealed partial class PrometheusConfigTests
{
    private static string Root()
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

    private static string PrometheusDir => Path.Combine(Root(), "deploy", "prometheus");

    private static async Task<(int Code, string Output)> PromtoolAsync(params string[] args)
    {
        var path = Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
        if (path is null)
        {
            Assert.Skip("promtool is not installed (deploy/tools.sh installs Debian's prometheus package as root)");
        }

        var start = new ProcessStartInfo(path) { WorkingDirectory = PrometheusDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task ScrapeConfig_IsValid()
    {
        var (code, output) = await PromtoolAsync("check", "config", "prometheus.yml");
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task ComposeScrapeConfig_IsValid()
    {
        var (code, output) = await PromtoolAsync("check", "config", "prometheus.compose.yml");
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task AlertingRules_AreValid()
    {
        var (code, output) = await PromtoolAsync("check", "rules", "rules.yml");
        Assert.True(code == 0, output);
        Assert.Contains("11 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertingRules_FireAndStayQuiet_AsTheirUnitTestsExpect()
    {
        var (code, output) = await PromtoolAsync("test", "rules", "rules.test.yml");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void EveryAlert_HasAUnitTest_AndEveryMetricItUses_IsDocumented()
    {
        var rules = File.ReadAllText(Path.Combine(PrometheusDir, "rules.yml"));
        var tests = File.ReadAllText(Path.Combine(PrometheusDir, "rules.test.yml"));
        var docs = File.ReadAllText(Path.Combine(Root(), "docs", "operations.md"));

        var alerts = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(11, alerts.Length);
        Assert.All(alerts, a => Assert.Contains($"alertname: {a}\n", tests, StringComparison.Ordinal));
        Assert.All(alerts, a => Assert.Contains(a, docs, StringComparison.Ordinal));

        var metrics = MetricName().Matches(rules).Select(m => m.Value).Distinct().ToArray();
        Assert.NotEmpty(metrics);
        Assert.All(metrics, m => Assert.Contains($"`{m}`", docs, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"- alert: (\w+)")]
    private static partial Regex AlertName();

    [GeneratedRegex(@"\bstreamrag_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
