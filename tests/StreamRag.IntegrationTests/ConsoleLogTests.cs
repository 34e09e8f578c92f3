using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StreamRag.IntegrationTests;

/// <summary>Issue 13: a host's console log lines carry a UTC timestamp; <c>Logging:Console:FormatterName=json</c> makes them JSON lines.</summary>
public sealed partial class ConsoleLogTests(RedisServerFixture redis)
{
    private static async Task<string> RunSweeperAsync(TestScope scope, params (string, string)[] overrides)
    {
        var settings = scope.Settings([("Logging:LogLevel:Default", "Information"), .. overrides]);
        await using var sweeper = WorkerProcess.Start("Sweeper", settings);
        await TestScope.EventuallyAsync(() => Task.FromResult(sweeper.Output.Contains("Application started", StringComparison.Ordinal) || sweeper.HasExited), "the sweeper has started");
        await sweeper.StopAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("Application started", sweeper.Output, StringComparison.Ordinal);
        return sweeper.Output;
    }

    [Fact]
    public async Task DefaultFormat_EveryEntryStartsWithAUtcTimestamp()
    {
        await using var scope = new TestScope(redis);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var output = await RunSweeperAsync(scope);

        // The simple format: an entry's first line is "<timestamp> <level>: <category>[<event id>]"; its message follows, indented.
        var entries = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !char.IsWhiteSpace(l[0])).ToArray();
        Assert.NotEmpty(entries);
        Assert.All(entries, line =>
        {
            var stamp = SimpleEntry().Match(line);
            Assert.True(stamp.Success, $"not a timestamped entry: {line}");
            var at = DateTimeOffset.ParseExact(stamp.Groups["at"].Value, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.InRange(at, before, DateTimeOffset.UtcNow.AddSeconds(1));
        });
    }

    [Fact]
    public async Task JsonFormat_EveryLineIsJson_WithATimestamp()
    {
        await using var scope = new TestScope(redis);

        var output = await RunSweeperAsync(scope, ("Logging:Console:FormatterName", "json"));

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.Contains("Application started", StringComparison.Ordinal));
        Assert.All(lines, line =>
        {
            using var entry = JsonDocument.Parse(line);
            var stamp = entry.RootElement.GetProperty("Timestamp").GetString()!;
            Assert.Matches(TimestampPattern, stamp);
            Assert.True(entry.RootElement.TryGetProperty("Category", out _), line);
        });
    }

    private const string TimestampPattern = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$";

    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (trce|dbug|info|warn|fail|crit): ")]
    private static partial Regex SimpleEntry();
}
