namespace StreamRag.CliTests;

/// <summary>The built program: exit codes and one-line errors, as a shell sees them.</summary>
public sealed class ProcessTests(RedisServerFixture redis)
{
    private static string OneLine(CliRun run)
    {
        Assert.Equal("", run.Output);
        var line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.StartsWith("streamrag: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        return line;
    }

    [Fact]
    public async Task RedisUnreachable_ExitsThreeWithOneLine()
    {
        var run = await Cli.RunProcessAsync(new Dictionary<string, string> { ["STREAMRAG_REDIS"] = $"127.0.0.1:{LoopbackPorts.Any()}" }, "status");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("cannot reach Redis at 127.0.0.1:", OneLine(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoFleet_BadPathAndBadOption_ExitWithOneLine()
    {
        var prefix = $"tcli{Guid.NewGuid().ToString("N")[..6]}";
        var noFleet = await Cli.RunProcessAsync(null, "ask", "a question", "--redis", redis.Configuration, "--prefix", prefix, "--wait-fleet", "1s");
        Assert.Equal(4, noFleet.ExitCode);
        Assert.Contains("no query worker is running", OneLine(noFleet), StringComparison.Ordinal);

        var badPath = await Cli.RunProcessAsync(null, "ingest", "/no/such/folder", "--redis", redis.Configuration, "--prefix", prefix);
        Assert.Equal(2, badPath.ExitCode);
        Assert.Contains("/no/such/folder: no such file or folder", OneLine(badPath), StringComparison.Ordinal);

        var badOption = await Cli.RunProcessAsync(null, "ask", "q", "-k", "500");
        Assert.Equal(2, badOption.ExitCode);
        Assert.Contains("-k must be 1 to 100", OneLine(badOption), StringComparison.Ordinal);

        var unknown = await Cli.RunProcessAsync(null, "status", "--colour");
        Assert.Equal(2, unknown.ExitCode);
        OneLine(unknown);
    }
}
