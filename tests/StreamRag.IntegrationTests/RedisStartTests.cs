using System.Diagnostics;
using System.Globalization;

namespace StreamRag.IntegrationTests;

/// <summary>
/// <c>deploy/redis.sh start</c> against real servers: it waits for as long as Redis is visibly
/// loading its data, and fails only on a real error.
/// </summary>
public sealed class RedisStartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>How long start may wait for a server that neither answers nor loads, in these tests.</summary>
    private static readonly Dictionary<string, string> ShortSilence = new() { ["STREAMRAG_REDIS_START_TIMEOUT"] = "1" };

    [Fact]
    public async Task Start_WaitsWhileTheServerLoadsItsAof_LongerThanItWaitsForSilence()
    {
        const int keys = 20_000;
        await using var server = await RedisServerFixture.StartDedicatedAsync("--appendonly", "yes");
        var db = server.Connection.GetDatabase();
        await Task.WhenAll(Enumerable.Range(0, keys).Select(i => db.StringSetAsync($"k{i}", "v")));
        // The rewrite puts them into the AOF's RDB preamble (redis.conf), which key-load-delay slows down.
        await db.ExecuteAsync("BGREWRITEAOF");
        await TestScope.EventuallyAsync(async () =>
        {
            var info = (await server.Server.InfoAsync("persistence")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
            return info["aof_rewrites"] != "0" && info["aof_rewrite_in_progress"] == "0";
        }, "the AOF is rewritten");
        await server.ShutdownAsync();

        // 0.1 ms per key: about 2 s of LOADING, twice the time start waits for a silent server.
        var watch = Stopwatch.StartNew();
        var (exitCode, _, stderr) = await RedisServerFixture.RunScriptAsync(ShortSilence,
            "start", server.Port.ToString(CultureInfo.InvariantCulture), server.Directory,
            "--appendonly", "yes", "--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024");
        watch.Stop();

        Assert.True(exitCode == 0, stderr);
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(1), $"start returned after {watch.Elapsed}: the load was too short to show anything");
        Assert.Matches(@"is loading its data: [0-9.]+% loaded", stderr);
        Assert.Equal(keys, await server.Server.DatabaseSizeAsync());
    }

    [Fact]
    public async Task Start_FailsAtOnce_WhenTheServerExits()
    {
        var dir = Directory.CreateTempSubdirectory("streamrag-test-redis-").FullName;
        try
        {
            var watch = Stopwatch.StartNew();
            var (exitCode, _, stderr) = await RedisServerFixture.RunScriptAsync(new Dictionary<string, string> { ["STREAMRAG_REDIS_START_TIMEOUT"] = "60" },
                "start", LoopbackPorts.Any().ToString(CultureInfo.InvariantCulture), dir, "--loadmodule", Path.Combine(dir, "no-such-module.so"));
            watch.Stop();

            Assert.NotEqual(0, exitCode);
            Assert.Contains("exited", stderr, StringComparison.Ordinal);
            Assert.Contains("no-such-module.so", stderr, StringComparison.Ordinal);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"start took {watch.Elapsed} to notice the exit");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
