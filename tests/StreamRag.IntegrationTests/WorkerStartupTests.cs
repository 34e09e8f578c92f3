using System.Net;
using System.Net.Sockets;
using StreamRag.Hosting;

namespace StreamRag.IntegrationTests;

/// <summary>
/// Each worker host, run as its own process, ends a start-up it cannot complete for a reason the operator
/// must fix in one line naming the key, with exit code 2: a bad value, an unknown section, a taken port.
/// </summary>
public sealed class WorkerStartupTests(RedisServerFixture redis)
{
    public static TheoryData<string> Workers => ["Embedder", "Query", "Sweeper", "Monitor"];

    private async Task<(int ExitCode, string Output)> StartAsync(string worker, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?> { ["Redis:Configuration"] = redis.Configuration, ["Metrics:PrometheusPort"] = "0" };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        await using var process = WorkerProcess.Start(worker, all);
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, process.Output.Trim());
    }

    private static void AssertOneLine(string output, string expected)
    {
        var line = Assert.Single(output.Split('\n'));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Workers))]
    public async Task UnknownSection_ExitsTwoWithOneLineNamingTheKey(string worker)
    {
        var (exit, output) = await StartAsync(worker, ("Querry:CacheTtl", "00:00:05"));
        Assert.Equal(StreamRagHost.StartupFailureExitCode, exit);
        AssertOneLine(output, "unknown configuration section 'Querry' (Querry:CacheTtl)");
    }

    [Theory]
    [MemberData(nameof(Workers))]
    public async Task InvalidSetting_ExitsTwoWithOneLineNamingTheKey(string worker)
    {
        var (exit, output) = await StartAsync(worker, ("Consumer:ReadCount", "0"));
        Assert.Equal(StreamRagHost.StartupFailureExitCode, exit);
        AssertOneLine(output, "invalid setting under 'Consumer': ReadCount");
    }

    [Theory]
    [InlineData("Embedder")]
    [InlineData("Query")]
    public async Task TokensRequired_WithoutAUsableKey_ExitsTwoWithOneLineNamingTheKey(string worker)
    {
        var (exit, output) = await StartAsync(worker, ("Security:Tokens:Mode", "Required"), ("Security:Tokens:Keys:0:Kid", "k1"), ("Security:Tokens:Keys:0:PublicKeyFile", "/nonexistent/k1.pub.pem"));
        Assert.Equal(StreamRagHost.StartupFailureExitCode, exit);
        AssertOneLine(output, "Security:Tokens:Keys:0:PublicKeyFile '/nonexistent/k1.pub.pem' cannot be read");

        (exit, output) = await StartAsync(worker, ("Security:Tokens:Mode", "Required"));
        Assert.Equal(StreamRagHost.StartupFailureExitCode, exit);
        AssertOneLine(output, "Security:Tokens:Mode is Required but no public key is configured");
    }

    [Fact]
    public async Task TakenScrapePort_ExitsTwoWithOneLine()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (exit, output) = await StartAsync("Sweeper", ("Metrics:PrometheusPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(StreamRagHost.StartupFailureExitCode, exit);
        AssertOneLine(output, $"Metrics:PrometheusPort {port} is in use");
    }
}
