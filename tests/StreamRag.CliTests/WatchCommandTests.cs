namespace StreamRag.CliTests;

/// <summary><c>streamrag watch</c> against a live fleet.</summary>
public sealed class WatchCommandTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Watch_PrintsMatchesAsTheyArrive_AndRemovesTheWatchWhenStopped()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        var run = Cli.RunAsync(scope, stop.Token, "watch", "honeybee queen lays eggs in the hive", "--threshold", "0.7", "--ttl", "10m");

        var watches = scope.Keys.WatchExpiry("default");
        await TestScope.EventuallyAsync(async () => await scope.Db.SortedSetLengthAsync(watches) == 1, "the watch is registered", TimeSpan.FromSeconds(30));
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "bees"), new("version", 1), new("source", "wiki"), new("content", "the honeybee queen lays eggs in the hive every spring")]);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "lava"), new("version", 1), new("content", "volcanoes erupt when magma rises to the surface")]);
        // The CLI's stream is {prefix}:watch:<its request id>: the one key of that namespace.
        var server = redis.Connection.GetServers()[0];
        await TestScope.EventuallyAsync(async () =>
        {
            var streams = server.Keys(pattern: scope.Keys.WatchStreamPrefix + "*").ToArray();
            return streams.Length == 1 && await scope.Db.StreamLengthAsync(streams[0]) == 1;
        }, "the match is notified", TimeSpan.FromSeconds(30));
        // The CLI polls its stream every 50 ms: give it a moment to print, then stop it as Ctrl-C would.
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        var result = await run;

        Assert.Contains("bees#0 v1", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("lava", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, await scope.Db.SortedSetLengthAsync(watches));
    }
}
