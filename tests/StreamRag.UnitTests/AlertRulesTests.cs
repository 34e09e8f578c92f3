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
}
