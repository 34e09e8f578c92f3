using StreamRag.Index;
using StreamRag.Monitor;

namespace StreamRag.UnitTests;

public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static readonly AlertOptions Alerts = new();
    private static readonly TuningOptions Tuning = new();

    private static RedisSnapshot Redis(long used = 100, long max = 1000, params GroupState[] groups) =>
        new(used, max, 5, 1, 100, 0, new IndexStats(1, 10, 50),
            new Dictionary<string, long>(), new Dictionary<string, long> { ["rag:{docs}:dead"] = 3 }, groups);

    private static WindowSnapshot Window(int queries, double queue, double embed, double search, double searchP95 = 5)
    {
        var total = queue + embed + search;
        return new WindowSnapshot(TimeSpan.FromSeconds(60), queries, 0, queries / 60.0,
            new Distribution(total, total, total, total, total), new Distribution(search, search, searchP95, searchP95, searchP95),
            new Distribution(embed, embed, embed, embed, embed), new Distribution(queue, queue, queue, queue, queue), 0.1);
    }

    private static MonitorSnapshot Snapshot(WindowSnapshot? window = null, RedisSnapshot? redis = null, Dictionary<string, long>? growth = null, TuningState? tuning = null) =>
        new(T0, window ?? Window(0, 0, 0, 0), redis ?? Redis(), growth ?? [], growth ?? [], tuning);

    private static AlertCondition Rule(MonitorSnapshot s, string rule, string subject = "") =>
        AlertRules.Evaluate(s, Alerts, Tuning).Single(c => c.Rule == rule && c.Subject == subject);

    [Fact]
    public void QueryLatency_NeedsEnoughQueries_AndNamesTheSlowStage()
    {
        Assert.False(Rule(Snapshot(Window(9, 200, 10, 10)), AlertRules.QueryLatency).Breached);

        var queued = Rule(Snapshot(Window(50, 200, 10, 10)), AlertRules.QueryLatency);
        Assert.True(queued.Breached);
        Assert.Equal((220.0, 100.0), (queued.Value, queued.Threshold));
        Assert.Contains("start more query workers", queued.Action, StringComparison.Ordinal);
        Assert.Contains(queued.Figures, f => f.Key == "queue_avg_ms" && (double)f.Value == 200);

        Assert.Contains("embedding provider", Rule(Snapshot(Window(50, 5, 200, 10)), AlertRules.QueryLatency).Action, StringComparison.Ordinal);
        Assert.Contains("Redis:Shards", Rule(Snapshot(Window(50, 5, 10, 200)), AlertRules.QueryLatency).Action, StringComparison.Ordinal);
        Assert.False(Rule(Snapshot(Window(50, 20, 20, 20)), AlertRules.QueryLatency).Breached);
    }

    [Fact]
    public void SearchSlow_JudgesP95()
    {
        Assert.True(Rule(Snapshot(Window(50, 1, 1, 10, searchP95: 51)), AlertRules.SearchSlow).Breached);
        Assert.False(Rule(Snapshot(Window(50, 1, 1, 10, searchP95: 49)), AlertRules.SearchSlow).Breached);
    }

    [Fact]
    public void Memory_ComparesWithMaxmemory_AndIgnoresNoLimit()
    {
        var high = Rule(Snapshot(redis: Redis(used: 850, max: 1000)), AlertRules.MemoryHigh);
        Assert.True(high.Breached);
        Assert.Equal("critical", high.Severity);
        Assert.Contains("Index:Quantization", high.Action, StringComparison.Ordinal);
        Assert.False(Rule(Snapshot(redis: Redis(used: 750, max: 1000)), AlertRules.MemoryHigh).Breached);
        Assert.False(Rule(Snapshot(redis: Redis(used: 10_000, max: 0)), AlertRules.MemoryHigh).Breached);
    }

    [Fact]
    public void Groups_LagAndLiveness()
    {
        var lagging = new GroupState("rag:{docs}:events", "embedders", "embedder", true, true, 5000, 10, 2, 2);
        var dead = new GroupState("rag:{queries}:requests", "query-workers", "query worker", true, true, 3, 0, 2, 0);
        var missing = new GroupState("rag:{x}:s", "g", "embedder", true, false, null, 0, 0, 0);
        var monitors = new GroupState("rag:{metrics}:queries", "monitors", "monitor", false, true, 0, 0, 1, 0);
        var s = Snapshot(redis: Redis(groups: [lagging, dead, missing, monitors]));

        Assert.True(Rule(s, AlertRules.ConsumerLag, "rag:{docs}:events/embedders").Breached);
        Assert.Contains("Start more embedders", Rule(s, AlertRules.ConsumerLag, "rag:{docs}:events/embedders").Action, StringComparison.Ordinal);
        Assert.False(Rule(s, AlertRules.NoLiveConsumer, "rag:{docs}:events/embedders").Breached);
        var noLive = Rule(s, AlertRules.NoLiveConsumer, "rag:{queries}:requests/query-workers");
        Assert.True(noLive.Breached);
        Assert.Contains("XGROUP DELCONSUMER", noLive.Action, StringComparison.Ordinal);
        Assert.True(Rule(s, AlertRules.NoLiveConsumer, "rag:{x}:s/g").Breached);
        Assert.DoesNotContain(AlertRules.Evaluate(s, Alerts, Tuning), c => c.Rule == AlertRules.NoLiveConsumer && c.Subject.EndsWith("monitors", StringComparison.Ordinal));
    }

    [Fact]
    public void DeadLetters_FireOnGrowth()
    {
        Assert.True(Rule(Snapshot(growth: new() { ["rag:{docs}:dead"] = 2 }), AlertRules.DeadLetters, "rag:{docs}:dead").Breached);
        Assert.False(Rule(Snapshot(growth: new() { ["rag:{docs}:dead"] = 0 }), AlertRules.DeadLetters, "rag:{docs}:dead").Breached);
    }

    [Fact]
    public void DeadLetters_SayTheirOwnWindow()
    {
        var alerts = new AlertOptions { DeadLetterWindow = TimeSpan.FromMinutes(10) };

        var alert = AlertRules.Evaluate(Snapshot(growth: new() { ["rag:{docs}:dead"] = 4 }), alerts, Tuning).Single(c => c.Rule == AlertRules.DeadLetters);

        Assert.StartsWith("4 new entries in dead-letter stream rag:{docs}:dead in the last 600 s (3 in all)", alert.Summary, StringComparison.Ordinal);
    }

    private static GroupState Group(int live, PendingIdle? idle, long pending = 12) =>
        new("rag:{docs}:events", "embedders", "embedder", true, true, 0, pending, 2, live, idle);

    private static AlertCondition Stuck(GroupState g) =>
        Rule(Snapshot(redis: Redis(groups: [g])), AlertRules.StuckWork, "rag:{docs}:events/embedders");

    [Fact]
    public void StuckWork_FiresWhenAPendingEntryIdlesPastTheThreshold_AndNamesIt()
    {
        var longest = new PendingEntry("1700000000000-3", "embedder-a", 300_000, 1, 720_000);

        var alert = Stuck(Group(live: 1, new PendingIdle(300_000, 12, 3, longest)));

        Assert.True(alert.Breached);
        Assert.Equal((300.0, 120.0), (alert.Value, alert.Threshold));
        Assert.Equal("3 pending entries of group 'embedders' on rag:{docs}:events made no progress for more than 120 s; longest 300 s: entry 1700000000000-3, held by consumer embedder-a, delivered 1 time, added 720 s ago", alert.Summary);
        Assert.Contains("Consumer embedder-a holds them without progress or keep-alive", alert.Action, StringComparison.Ordinal);
        Assert.Contains(alert.Figures, f => f.Key == "stuck" && (int)f.Value == 3);
    }

    [Fact]
    public void StuckWork_ActionFollowsTheFigures()
    {
        var twice = new PendingEntry("1-0", "embedder-b", 200_000, 7, null);

        Assert.Contains("start embedders", Stuck(Group(live: 0, new PendingIdle(200_000, 5, 1, twice))).Action, StringComparison.Ordinal);
        var redelivered = Stuck(Group(live: 2, new PendingIdle(200_000, 5, 1, twice)));
        Assert.Contains("was delivered 7 times", redelivered.Action, StringComparison.Ordinal);
        Assert.Contains("XACK rag:{docs}:events embedders 1-0", redelivered.Action, StringComparison.Ordinal);
        Assert.Contains("(the 1000 oldest of 5000 pending examined)", Stuck(Group(live: 2, new PendingIdle(200_000, 1000, 1, twice), pending: 5000)).Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void StuckWork_QuietWhenEntriesMove_OrNothingIsPending()
    {
        var fresh = new PendingEntry("1-0", "embedder-a", 119_000, 1, 1_000);

        Assert.False(Stuck(Group(live: 1, new PendingIdle(119_000, 12, 0, fresh))).Breached);
        Assert.False(Stuck(Group(live: 1, null, pending: 0)).Breached);
        // A group that does not exist has nothing pending to judge.
        var missing = new GroupState("rag:{x}:s", "g", "embedder", true, false, null, 0, 0, 0);
        Assert.DoesNotContain(AlertRules.Evaluate(Snapshot(redis: Redis(groups: [missing])), Alerts, Tuning), c => c.Rule == AlertRules.StuckWork);
    }

    [Theory]
    [InlineData("00:00:00", "00:01:00")]
    [InlineData("00:00:00.500", "00:01:00")]
    [InlineData("00:02:00", "00:00:00")]
    [InlineData("8.00:00:00", "00:01:00")]
    public void StuckWorkAndDeadLetterWindows_OutOfRange_AreRefused(string maxPendingIdle, string deadLetterWindow)
    {
        var options = new AlertOptions
        {
            MaxPendingIdle = TimeSpan.Parse(maxPendingIdle, System.Globalization.CultureInfo.InvariantCulture),
            DeadLetterWindow = TimeSpan.Parse(deadLetterWindow, System.Globalization.CultureInfo.InvariantCulture),
        };

        Assert.False(new AlertOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(new AlertOptionsValidator().Validate(null, new AlertOptions()).Succeeded);
    }

    [Theory]
    [InlineData("1700000000000-0", 1_700_000_005_000L, 5_000L)]
    [InlineData("253402300800000-0", 1_700_000_005_000L, null)]
    [InlineData("1700000000000", 1_700_000_000_000L, 0L)]
    public void PendingEntryAge_ComesFromItsId(string id, long now, long? age)
    {
        Assert.Equal(age, RedisProbe.AgeOf(id, now));
    }

    [Fact]
    public void RecallLow_FiresOnlyWhenTheTunerIsStuck()
    {
        var measured = new EfMeasurement(50, 0.7, 100, 10);
        var stuck = new TuningState(1024, measured, new EfDecision(1024, false, true, false, true, "hold at MaxEf"), T0);
        var climbing = new TuningState(100, measured, new EfDecision(150, true, true, false, false, "raise"), T0);

        var alert = Rule(Snapshot(tuning: stuck), AlertRules.RecallLow);
        Assert.True(alert.Breached);
        Assert.Contains("raise Tuning:MaxEf", alert.Action, StringComparison.Ordinal);
        Assert.False(Rule(Snapshot(tuning: climbing), AlertRules.RecallLow).Breached);
        Assert.False(Rule(Snapshot(), AlertRules.RecallLow).Breached);
    }

    [Fact]
    public void Figures_AreJsonNumbers()
    {
        Assert.Equal("""{"a":1.5,"b":2,"c":"x"}""", AlertPublisher.FiguresJson([new("a", 1.5), new("b", 2L), new("c", "x")]));
    }

    [Fact]
    public void NoLiveConsumer_WaitsOutTheGrace_AfterAGroupAppears()
    {
        var observations = new GroupObservations();
        var empty = new GroupState("rag:{queries}:requests", "query-workers", "query worker", true, true, 0, 0, 0, 0);
        var missing = empty with { Exists = false };
        AlertCondition At(TimeSpan after, GroupState g) =>
            Rule(Snapshot(redis: Redis(groups: [.. observations.Stamp([g], T0 + after)])) with { At = T0 + after }, AlertRules.NoLiveConsumer, g.Subject);

        // The monitor starts with the stream there and the group missing: quiet for the grace (60 s).
        Assert.False(At(TimeSpan.Zero, missing).Breached);
        Assert.False(At(TimeSpan.FromSeconds(59), missing).Breached);
        Assert.True(At(TimeSpan.FromSeconds(60), missing).Breached);
        // The group appears, still without a consumer: a new grace from that moment.
        Assert.False(At(TimeSpan.FromSeconds(70), empty).Breached);
        Assert.False(At(TimeSpan.FromSeconds(129), empty).Breached);
        var fired = At(TimeSpan.FromSeconds(130), empty);
        Assert.True(fired.Breached);
        Assert.Contains(fired.Figures, f => f.Key == "grace_s" && (double)f.Value == 60);
        // A consumer joins: resolved, and the resolution says so.
        var live = At(TimeSpan.FromSeconds(135), empty with { Consumers = 1, LiveConsumers = 1 });
        Assert.False(live.Breached);
        Assert.Equal("Group 'query-workers' on rag:{queries}:requests has a live consumer again: 1 of 1 seen within 30 s", live.ResolvedSummary);
        // Gone again later: no new grace, it fires at once.
        Assert.True(At(TimeSpan.FromSeconds(300), empty).Breached);
    }

    [Fact]
    public void NoConsumerGrace_IsValidated()
    {
        var options = new AlertOptions { NoConsumerGrace = TimeSpan.FromDays(2) };
        Assert.True(new AlertOptionsValidator().Validate(null, options).Failed);
        Assert.True(new AlertOptionsValidator().Validate(null, new AlertOptions { NoConsumerGrace = TimeSpan.FromSeconds(-1) }).Failed);
        Assert.True(new AlertOptionsValidator().Validate(null, new AlertOptions { NoConsumerGrace = TimeSpan.Zero }).Succeeded);
    }

    [Fact]
    public void ResolvedSummaries_GiveTheCurrentFigureAgainstTheLimit()
    {
        var latency = Rule(Snapshot(Window(50, 10, 10, 10)), AlertRules.QueryLatency);
        Assert.False(latency.Breached);
        Assert.Equal("Average query latency is back under 100 ms: 30 ms over the last 60 s (50 queries)", latency.ResolvedSummary);
        // No queries at all: "0 ms exceeds 100 ms" was wrong; it is too few to judge.
        Assert.Equal("Average query latency is no longer judged: 0 queries over the last 60 s, fewer than Alerts:MinQueries (10)",
            Rule(Snapshot(Window(0, 0, 0, 0)), AlertRules.QueryLatency).ResolvedSummary);
        Assert.Equal("Vector search p95 is back under 50 ms: 5 ms over the last 60 s (50 queries)", Rule(Snapshot(Window(50, 1, 1, 5)), AlertRules.SearchSlow).ResolvedSummary);
        Assert.StartsWith("Redis memory is back under 80", Rule(Snapshot(), AlertRules.MemoryHigh).ResolvedSummary, StringComparison.Ordinal);
        Assert.Equal("Dead letters on rag:{docs}:dead are back under 1 new in 60 s: 0 in the last 60 s (3 in all)",
            Rule(Snapshot(growth: new() { ["rag:{docs}:dead"] = 0 }), AlertRules.DeadLetters, "rag:{docs}:dead").ResolvedSummary);
        Assert.All(AlertRules.Evaluate(Snapshot(Window(50, 10, 10, 10)), Alerts, Tuning).Where(c => !c.Breached),
            c => Assert.DoesNotContain("exceeds", c.ResolvedSummary, StringComparison.Ordinal));
    }
}
