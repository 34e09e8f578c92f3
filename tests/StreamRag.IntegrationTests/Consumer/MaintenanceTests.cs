using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests.Consumer;

/// <summary>The maintenance part of the runner alone: a pass trims only what every group has finished.</summary>
public sealed class MaintenanceTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Pass_TrimsOnlyBelowTheFirstEntryAnyGroupStillNeeds()
    {
        await using var h = new RunnerHarness(redis);
        var ids = await h.AddAsync(250);
        await h.Db.StreamCreateConsumerGroupAsync(h.Stream, RunnerHarness.Group, "0-0");
        await h.Db.StreamCreateConsumerGroupAsync(h.Stream, "laggard", "0-0");
        var done = await h.Db.StreamReadGroupAsync(h.Stream, RunnerHarness.Group, "a", ">", 200);
        await h.Db.StreamAcknowledgeAsync(h.Stream, RunnerHarness.Group, done.Select(e => e.Id).ToArray());
        var held = await h.Db.StreamReadGroupAsync(h.Stream, "laggard", "l", ">", 120);

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var spec = new StreamConsumerSpec(h.Stream, h.DeadLetters, RunnerHarness.Group, "a");
        var maintenance = new GroupMaintenance(h.Db, spec, h.Options, h.Clock, new ConsumerMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger.Instance);

        await maintenance.PassAsync();
        Assert.Equal(250, await h.Db.StreamLengthAsync(h.Stream));

        await h.Db.StreamAcknowledgeAsync(h.Stream, "laggard", held.Select(e => e.Id).ToArray());
        await maintenance.PassAsync();

        // Approximate trimming removes whole nodes (100 entries each) below the laggard's next entry.
        var first = (string)(await h.Db.StreamRangeAsync(h.Stream, "-", "+", 1))[0].Id!;
        Assert.Equal(150, await h.Db.StreamLengthAsync(h.Stream));
        Assert.Equal(ids[100], first);
    }
}
