using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Monitor;

namespace StreamRag.IntegrationTests;

/// <summary>The monitor against a real Redis 8, on a fake clock: it reads query-metrics entries the test writes as a query worker would.</summary>
[Collection(StreamRag.IntegrationTests.Docs.ProcessMetricsCollection.Name)]
public sealed class MonitorTests(RedisServerFixture redis)
{
    private const int Dims = 16;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Ahead of real time, so stream ids taken from this clock come after any real ones.</summary>
    private static FakeTimeProvider Clock() =>
        new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600));

    private sealed class Harness(TestScope scope, FakeTimeProvider clock)
    {
        public TestScope Scope => scope;

        public FakeTimeProvider Clock => clock;

        public DateTimeOffset Now => clock.GetUtcNow();

        public async Task StartAsync(params (string Key, string Value)[] overrides)
        {
            await scope.StartAsync(b => { b.AddMonitorWorker(); b.Services.AddSingleton<TimeProvider>(clock); },
                [("Index:Dimensions", "16"), ("Embedding:Dimensions", "16"), ("Monitor:EvaluationInterval", "00:00:05"), .. overrides]);
            await WaitEvaluatedAsync();
        }

        /// <summary>Writes query-metrics entries stamped with the fake clock, as a query worker would.</summary>
        public async Task WriteQueriesAsync(int count, double queueMs, double embedMs, double searchMs, int ef = 100, Func<int, NameValueEntry[]>? sample = null)
        {
            var id = $"{Now.ToUnixTimeMilliseconds()}-*";
            for (var i = 0; i < count; i++)
            {
                var total = queueMs + embedMs + searchMs;
                NameValueEntry[] fields =
                [
                    new(QueryMetricsFields.Status, QueryMetricsFields.StatusOk), new(QueryMetricsFields.QueueMs, queueMs), new(QueryMetricsFields.EmbedMs, embedMs),
                    new(QueryMetricsFields.SearchMs, searchMs), new(QueryMetricsFields.TotalMs, total), new(QueryMetricsFields.Cache, QueryMetricsFields.CacheMiss),
                    new(QueryMetricsFields.Ef, ef), new(QueryMetricsFields.K, 10), new(QueryMetricsFields.Results, 10),
                ];
                await scope.Db.StreamAddAsync(scope.Keys.QueryMetrics, [.. fields, .. sample?.Invoke(i) ?? []], id);
            }

            // The monitor reads them at its next evaluation.
        }

        /// <summary>Moves the clock on and waits for the evaluation at the new time to finish.</summary>
        public async Task EvaluateAsync(TimeSpan advance)
        {
            clock.Advance(advance);
            await WaitEvaluatedAsync();
        }

        private async Task WaitEvaluatedAsync()
        {
            var now = Now.ToUnixTimeMilliseconds();
            await TestScope.EventuallyAsync(async () => (long?)await scope.Db.HashGetAsync(scope.Keys.MonitorStatus, "evaluated_at") >= now, "an evaluation ran at the new time");
        }

        public async Task<StreamEntry[]> AlertsAsync(string rule) =>
            (await scope.Db.StreamRangeAsync(scope.Keys.Alerts)).Where(e => e[AlertFields.Rule] == rule).ToArray();
    }

    [Fact]
    [ClusterScenario]
    public async Task QueryLatencyAlert_FiresOnce_ResolvesOnce_AndKeepsQuietDuringCooldown()
    {
        await using var scope = new TestScope(redis);
        var h = new Harness(scope, Clock());
        var messages = Channel.CreateUnbounded<string>();
        var subscription = await redis.Connection.GetSubscriber().SubscribeAsync(scope.Keys.AlertsChannel);
        subscription.OnMessage(m => messages.Writer.TryWrite((string)m.Message!));
        await h.StartAsync(("Monitor:Window", "00:00:30"), ("Alerts:MinQueries", "5"), ("Alerts:Cooldown", "00:02:00"));
        var t0 = h.Now;

        await h.WriteQueriesAsync(10, queueMs: 250, embedMs: 20, searchMs: 30);
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));

        var fired = Assert.Single(await h.AlertsAsync(AlertRules.QueryLatency));
        Assert.Equal(AlertFields.StateFiring, (string?)fired[AlertFields.State]);
        Assert.Equal(300, (double)fired[AlertFields.Value]);
        Assert.Equal(100, (double)fired[AlertFields.Threshold]);
        Assert.Equal(t0.AddSeconds(5).ToUnixTimeMilliseconds(), (long)fired[AlertFields.Since]);
        Assert.Contains("start more query workers", (string?)fired[AlertFields.Action], StringComparison.Ordinal);
        using (var figures = JsonDocument.Parse((string)fired[AlertFields.Figures]!))
        {
            Assert.Equal(10, figures.RootElement.GetProperty("queries").GetInt32());
            Assert.Equal(250, figures.RootElement.GetProperty("queue_avg_ms").GetDouble());
        }

        // Still breached: not published again.
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        await h.WriteQueriesAsync(10, queueMs: 5, embedMs: 5, searchMs: 10);
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        Assert.Single(await h.AlertsAsync(AlertRules.QueryLatency));

        // The slow queries leave the 30 s window: resolved, once.
        await h.EvaluateAsync(TimeSpan.FromSeconds(20));
        var alerts = await h.AlertsAsync(AlertRules.QueryLatency);
        Assert.Equal([AlertFields.StateFiring, AlertFields.StateResolved], alerts.Select(a => (string?)a[AlertFields.State]));
        Assert.Equal(t0.AddSeconds(5).ToUnixTimeMilliseconds(), (long)alerts[1][AlertFields.Since]);
        Assert.Equal(20, (double)alerts[1][AlertFields.Value]);
        Assert.Equal("Average query latency is back under 100 ms: 20 ms over the last 30 s (10 queries)", (string?)alerts[1][AlertFields.Summary]);

        // Breached again within the 2-minute cooldown: kept quiet.
        await h.WriteQueriesAsync(10, queueMs: 250, embedMs: 20, searchMs: 30);
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, (await h.AlertsAsync(AlertRules.QueryLatency)).Length);

        // After the cooldown a new breach fires again.
        await h.EvaluateAsync(TimeSpan.FromSeconds(120));
        await h.WriteQueriesAsync(10, queueMs: 10, embedMs: 300, searchMs: 30);
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        alerts = await h.AlertsAsync(AlertRules.QueryLatency);
        Assert.Equal([AlertFields.StateFiring, AlertFields.StateResolved, AlertFields.StateFiring], alerts.Select(a => (string?)a[AlertFields.State]));
        Assert.Contains("embedding provider", (string?)alerts[2][AlertFields.Action], StringComparison.Ordinal);

        // The same three transitions went out on the channel, as JSON with the figures as an object.
        var published = new List<JsonElement>();
        while (published.Count < 3)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var json = JsonDocument.Parse(await messages.Reader.ReadAsync(timeout.Token)).RootElement;
            if (json.GetProperty(AlertFields.Rule).GetString() == AlertRules.QueryLatency)
            {
                published.Add(json);
            }
        }

        await subscription.UnsubscribeAsync();
        Assert.Equal(["firing", "resolved", "firing"], published.Select(p => p.GetProperty(AlertFields.State).GetString()));
        Assert.Equal(300, published[0].GetProperty(AlertFields.Figures).GetProperty("avg_ms").GetDouble());
        Assert.Equal(300, published[0].GetProperty(AlertFields.Value).GetDouble());
    }

    [Fact]
    [ClusterScenario]
    public async Task ConsumerGroupsAndDeadLetters_RaiseAndResolveTheirAlerts()
    {
        await using var scope = new TestScope(redis);
        var h = new Harness(scope, Clock());
        var events = scope.Keys.DocumentEvents;
        // The embedders' group exists, but no embedder ever joined it.
        await scope.Db.StreamCreateConsumerGroupAsync(events, scope.Keys.EmbedderGroup, "0-0", createStream: true);
        await h.StartAsync(("Alerts:MaxConsumerLag", "3"), ("Alerts:NoConsumerGrace", "00:00:00"));
        var subject = $"{events}/{scope.Keys.EmbedderGroup}";

        var noLive = Assert.Single(await h.AlertsAsync(AlertRules.NoLiveConsumer));
        Assert.Equal((subject, "critical"), ((string?)noLive[AlertFields.Subject], (string?)noLive[AlertFields.Severity]));
        Assert.Contains("Start embedders", (string?)noLive[AlertFields.Action], StringComparison.Ordinal);

        // An embedder joins; then events arrive faster than it reads, and two land in the dead letters.
        await scope.Db.StreamReadGroupAsync(events, scope.Keys.EmbedderGroup, "embedder-1", ">", 1);
        for (var i = 0; i < 5; i++)
        {
            await scope.Db.StreamAddAsync(events, "op", "upsert");
        }

        await scope.Db.StreamAddAsync(scope.Keys.DocumentDeadLetters, "dlq_reason", "bad_json: x");
        await scope.Db.StreamAddAsync(scope.Keys.DocumentDeadLetters, "dlq_reason", "bad_json: y");
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));

        Assert.Equal([AlertFields.StateFiring, AlertFields.StateResolved], (await h.AlertsAsync(AlertRules.NoLiveConsumer)).Select(a => (string?)a[AlertFields.State]));
        var lag = Assert.Single(await h.AlertsAsync(AlertRules.ConsumerLag));
        Assert.Equal((subject, 5.0), ((string?)lag[AlertFields.Subject], (double)lag[AlertFields.Value]));
        var dead = Assert.Single(await h.AlertsAsync(AlertRules.DeadLetters));
        Assert.Equal(scope.Keys.DocumentDeadLetters.ToString(), (string?)dead[AlertFields.Subject]);
        Assert.Equal(2, (double)dead[AlertFields.Value]);
        Assert.Contains("dlq_reason", (string?)dead[AlertFields.Action], StringComparison.Ordinal);

        // A window (60 s) without new dead letters resolves that alert; the lag stays.
        await h.EvaluateAsync(TimeSpan.FromSeconds(61));
        Assert.Equal(2, (await h.AlertsAsync(AlertRules.DeadLetters)).Length);
        Assert.Single(await h.AlertsAsync(AlertRules.ConsumerLag));
        var status = (await scope.Db.HashGetAllAsync(scope.Keys.MonitorStatus)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
        Assert.Equal($"consumer_lag|{subject}", status["alerts_firing"]);
    }

    [Fact]
    public async Task StuckWork_FiresForAnEntryNobodyMoves_NotForOneKeptAlive_ResolvesWhenAcknowledged()
    {
        await using var scope = new TestScope(redis);
        var h = new Harness(scope, Clock());
        var events = scope.Keys.DocumentEvents;
        var group = scope.Keys.EmbedderGroup;
        await scope.Db.StreamCreateConsumerGroupAsync(events, group, "0-0", createStream: true);
        // Long enough that the entry kept alive just before an evaluation is surely below it then.
        await h.StartAsync(("Alerts:MaxPendingIdle", "00:00:03"));
        var subject = $"{events}/{group}";
        Assert.Empty(await h.AlertsAsync(AlertRules.StuckWork));

        // One consumer takes an entry and goes silent; another takes one and keeps it alive, as the runner does.
        var hung = await scope.Db.StreamAddAsync(events, "op", "upsert");
        await scope.Db.StreamReadGroupAsync(events, group, "embedder-hung", ">", 1);
        var alive = await scope.Db.StreamAddAsync(events, "op", "upsert");
        await scope.Db.StreamReadGroupAsync(events, group, "embedder-busy", ">", 1);
        await TestScope.EventuallyAsync(async () => (await scope.Db.StreamPendingMessagesAsync(events, group, 10, RedisValue.Null))
            .All(p => p.IdleTimeInMilliseconds > 3_000), "both entries have idled past Alerts:MaxPendingIdle", TimeSpan.FromSeconds(30));
        await scope.Db.StreamClaimIdsOnlyAsync(events, group, "embedder-busy", 0, [alive]);
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));

        var fired = Assert.Single(await h.AlertsAsync(AlertRules.StuckWork));
        Assert.Equal((subject, AlertFields.StateFiring, "warning"), ((string?)fired[AlertFields.Subject], (string?)fired[AlertFields.State], (string?)fired[AlertFields.Severity]));
        Assert.StartsWith($"1 pending entry of group '{group}' on {events} made no progress for more than 3 s; longest ", (string?)fired[AlertFields.Summary], StringComparison.Ordinal);
        Assert.Contains($"entry {hung}, held by consumer embedder-hung, delivered 1 time", (string?)fired[AlertFields.Summary], StringComparison.Ordinal);
        Assert.Contains("Consumer embedder-hung holds them", (string?)fired[AlertFields.Action], StringComparison.Ordinal);
        using (var figures = JsonDocument.Parse((string)fired[AlertFields.Figures]!))
        {
            Assert.Equal(1, figures.RootElement.GetProperty("stuck").GetInt32());
            Assert.Equal(2, figures.RootElement.GetProperty("pending").GetInt32());
        }

        // While it stays stuck, nothing more is published; once it is acknowledged, it resolves.
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        Assert.Single(await h.AlertsAsync(AlertRules.StuckWork));
        await scope.Db.StreamAcknowledgeAsync(events, group, hung);
        await scope.Db.StreamClaimIdsOnlyAsync(events, group, "embedder-busy", 0, [alive]);
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([AlertFields.StateFiring, AlertFields.StateResolved], (await h.AlertsAsync(AlertRules.StuckWork)).Select(a => (string?)a[AlertFields.State]));
    }

    [Fact]
    public async Task DeadLetters_AreCountedOverTheirOwnWindow()
    {
        await using var scope = new TestScope(redis);
        var h = new Harness(scope, Clock());
        await h.StartAsync(("Alerts:DeadLetterWindow", "00:00:20"));

        await scope.Db.StreamAddAsync(scope.Keys.QueryDeadLetters, "dlq_reason", "invalid_field: x");
        await scope.Db.StreamAddAsync(scope.Keys.QueryDeadLetters, "dlq_reason", "invalid_field: y");
        await scope.Db.StreamAddAsync(scope.Keys.QueryDeadLetters, "dlq_reason", "invalid_field: z");
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        var fired = Assert.Single(await h.AlertsAsync(AlertRules.DeadLetters));
        Assert.Equal($"3 new entries in dead-letter stream {scope.Keys.QueryDeadLetters} in the last 20 s (3 in all)", (string?)fired[AlertFields.Summary]);

        // Still within 20 s of the growth: firing. Past it (the query window is still 60 s): resolved.
        await h.EvaluateAsync(TimeSpan.FromSeconds(10));
        Assert.Single(await h.AlertsAsync(AlertRules.DeadLetters));
        await h.EvaluateAsync(TimeSpan.FromSeconds(11));
        Assert.Equal([AlertFields.StateFiring, AlertFields.StateResolved], (await h.AlertsAsync(AlertRules.DeadLetters)).Select(a => (string?)a[AlertFields.State]));
    }

    /// <summary>A small index and, per query vector, its exact top 10 (what a perfect graph search returns).</summary>
    private static async Task<(float[] Vector, string[] Exact)[]> IndexWithQueriesAsync(TestScope scope)
    {
        var index = scope.Index(Dims);
        await SweeperTests.UpsertAllAsync(index, Enumerable.Range(0, 300).Select(i => SweeperTests.Doc($"d{i}", 1, null)));
        var random = new Random(7);
        var queries = new List<(float[], string[])>();
        for (var q = 0; q < 10; q++)
        {
            var vector = Enumerable.Range(0, Dims).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var exact = await index.SearchAsync(new VectorQuery("default", vector, 10, QueryFilters.None, null, Exact: true), Ct);
            queries.Add((vector, exact.Select(hit => $"{hit.DocumentId}#{hit.Chunk}").ToArray()));
        }

        return queries.ToArray();
    }

    /// <summary>
    /// Plays a query worker under a given system: each round, 10 queries at the current search_ef with
    /// the recall and latency the system has at that effort; then one tuning round. Returns the efforts seen.
    /// </summary>
    private static async Task<List<int>> RunTuningAsync(Harness h, (float[] Vector, string[] Exact)[] queries, Func<int, double> recallAt, Func<int, double> searchMsAt)
    {
        var seen = new List<int>();
        for (var round = 0; round < 25; round++)
        {
            var ef = (int)await h.Scope.Db.HashGetAsync(h.Scope.Keys.Settings, SettingsFields.SearchEf);
            seen.Add(ef);
            if (seen.Count >= 4 && seen.TakeLast(4).Distinct().Count() == 1)
            {
                break;
            }

            var correct = (int)Math.Floor(recallAt(ef) * 10);
            await h.WriteQueriesAsync(10, queueMs: 1, embedMs: 1, searchMs: searchMsAt(ef), ef: ef, sample: i =>
            [
                new(QueryMetricsFields.Tenant, "default"),
                new(QueryMetricsFields.Filters, "{}"),
                new(QueryMetricsFields.Vector, MemoryMarshal.AsBytes(queries[i].Vector.AsSpan()).ToArray()),
                new(QueryMetricsFields.ResultIds, string.Join(',', queries[i].Exact.Take(correct).Concat(Enumerable.Range(0, 10 - correct).Select(n => $"wrong{n}#0")))),
            ]);
            await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        }

        return seen;
    }

    private static readonly (string, string)[] Tuning =
    [
        ("Tuning:Interval", "00:00:05"), ("Tuning:MinRecallSamples", "5"), ("Tuning:MinLatencySamples", "10"), ("Tuning:MaxRecallChecks", "20"),
        ("Tuning:RecallFloor", "0.95"), ("Tuning:LatencyBudgetMs", "50"), ("Tuning:MinEf", "10"), ("Tuning:MaxEf", "800"),
    ];

    [Fact]
    public async Task SearchEf_ConvergesUp_UnderARecallDeficit()
    {
        await using var scope = new TestScope(redis);
        var queries = await IndexWithQueriesAsync(scope);
        var h = new Harness(scope, Clock());
        await scope.Db.HashSetAsync(scope.Keys.Settings, SettingsFields.SearchEf, 40);
        await h.StartAsync(Tuning);

        // Recall grows with the effort (0.95 needs ef >= 190); search stays fast.
        var seen = await RunTuningAsync(h, queries, ef => Math.Min(1, ef / 200.0), _ => 5);

        Assert.Equal(40, seen[0]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second >= p.First), string.Join(" -> ", seen));
        Assert.InRange(seen[^1], 190, 800);
        Assert.True(seen.TakeLast(4).Distinct().Count() == 1, $"did not settle: {string.Join(" -> ", seen)}");
        var settings = (await scope.Db.HashGetAllAsync(scope.Keys.Settings)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
        Assert.True(double.Parse(settings[SettingsFields.SearchRecall]!, CultureInfo.InvariantCulture) >= 0.95);
        Assert.StartsWith("raise", settings[SettingsFields.SearchEfReason], StringComparison.Ordinal);
        Assert.Empty(await h.AlertsAsync(AlertRules.RecallLow));
        AssertEveryChangeAnnounced(seen, await h.AlertsAsync(AlertFields.RuleSearchEfChanged));
    }

    /// <summary>One notice (severity info) per change of search_ef, in order, each naming both efforts.</summary>
    private static void AssertEveryChangeAnnounced(List<int> seen, StreamEntry[] notices)
    {
        var changes = seen.Zip(seen.Skip(1)).Where(p => p.First != p.Second).ToArray();
        Assert.NotEmpty(changes);
        Assert.Equal(changes.Select(c => (c.First, c.Second)), notices.Select(n => ((int)n[AlertFields.Threshold], (int)n[AlertFields.Value])).Take(changes.Length));
        Assert.All(notices, n =>
        {
            Assert.Equal((AlertFields.StateNotice, AlertFields.SeverityInfo), ((string?)n[AlertFields.State], (string?)n[AlertFields.Severity]));
            Assert.StartsWith($"search_ef {(int)n[AlertFields.Threshold]} -> {(int)n[AlertFields.Value]} for every query worker: ", (string?)n[AlertFields.Summary], StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task NoLiveConsumer_WaitsOutItsGrace_WhenAFleetStarts()
    {
        await using var scope = new TestScope(redis);
        var h = new Harness(scope, Clock());
        // The query workers' group has just been created; its first worker has not read yet.
        await scope.Db.StreamCreateConsumerGroupAsync(scope.Keys.QueryRequests, scope.Keys.QueryGroup, "0-0", createStream: true);
        await h.StartAsync(("Alerts:NoConsumerGrace", "00:00:20"));
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        await h.EvaluateAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(await h.AlertsAsync(AlertRules.NoLiveConsumer));

        // Past the grace with still nobody: a real outage.
        await h.EvaluateAsync(TimeSpan.FromSeconds(6));
        var fired = Assert.Single(await h.AlertsAsync(AlertRules.NoLiveConsumer));
        Assert.Equal($"{scope.Keys.QueryRequests}/{scope.Keys.QueryGroup}", (string?)fired[AlertFields.Subject]);

        // A worker joins: resolved, with a resolution that says what is true now.
        await scope.Db.StreamReadGroupAsync(scope.Keys.QueryRequests, scope.Keys.QueryGroup, "query-1", ">", 1);
        await h.EvaluateAsync(TimeSpan.FromSeconds(5));
        var resolved = (await h.AlertsAsync(AlertRules.NoLiveConsumer))[^1];
        Assert.Equal(AlertFields.StateResolved, (string?)resolved[AlertFields.State]);
        Assert.StartsWith($"Group 'query-workers' on {scope.Keys.QueryRequests} has a live consumer again: 1 of 1", (string?)resolved[AlertFields.Summary], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tuner_NeverGoesBelowMinEf_AndAnnouncesTheMoveBackInside()
    {
        await using var scope = new TestScope(redis);
        var queries = await IndexWithQueriesAsync(scope);
        var h = new Harness(scope, Clock());
        // Set by hand below the floor; then a latency breach at every effort pushes down.
        await scope.Db.HashSetAsync(scope.Keys.Settings, SettingsFields.SearchEf, 20);
        await h.StartAsync([.. Tuning, ("Tuning:MinEf", "64")]);

        var seen = await RunTuningAsync(h, queries, _ => 1, _ => 500);

        // The first evaluation (at start) already moved it up to the floor; no breach moves it below.
        Assert.All(seen, ef => Assert.Equal(64, ef));
        var notice = Assert.Single(await h.AlertsAsync(AlertFields.RuleSearchEfChanged));
        Assert.Equal((20, 64), ((int)notice[AlertFields.Threshold], (int)notice[AlertFields.Value]));
        Assert.Contains("Tuning:MinEf 64", (string?)notice[AlertFields.Action], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchEf_ConvergesDown_UnderALatencyBreach()
    {
        await using var scope = new TestScope(redis);
        var queries = await IndexWithQueriesAsync(scope);
        var h = new Harness(scope, Clock());
        await scope.Db.HashSetAsync(scope.Keys.Settings, SettingsFields.SearchEf, 800);
        await h.StartAsync(Tuning);

        // Perfect recall at any effort; p99 search time 0.25 ms per unit of effort (50 ms budget: ef <= 200).
        var seen = await RunTuningAsync(h, queries, _ => 1, ef => ef * 0.25);

        Assert.Equal(800, seen[0]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second <= p.First), string.Join(" -> ", seen));
        Assert.InRange(seen[^1], 150, 200);
        Assert.True(seen.TakeLast(4).Distinct().Count() == 1, $"did not settle: {string.Join(" -> ", seen)}");
        AssertEveryChangeAnnounced(seen, await h.AlertsAsync(AlertFields.RuleSearchEfChanged));
        var settings = (await scope.Db.HashGetAllAsync(scope.Keys.Settings)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
        Assert.True(double.Parse(settings[SettingsFields.SearchP99Ms]!, CultureInfo.InvariantCulture) <= 50);
        Assert.Equal(1.0, double.Parse(settings[SettingsFields.SearchRecall]!, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RecallBelowTheFloor_AtMaxEf_RaisesRecallLow()
    {
        await using var scope = new TestScope(redis);
        var queries = await IndexWithQueriesAsync(scope);
        var h = new Harness(scope, Clock());
        await scope.Db.HashSetAsync(scope.Keys.Settings, SettingsFields.SearchEf, 800);
        await h.StartAsync(Tuning);

        var seen = await RunTuningAsync(h, queries, _ => 0.5, _ => 5);

        Assert.All(seen, ef => Assert.Equal(800, ef));
        var alert = Assert.Single(await h.AlertsAsync(AlertRules.RecallLow));
        Assert.Equal(0.5, (double)alert[AlertFields.Value]);
        Assert.Contains("raise Tuning:MaxEf", (string?)alert[AlertFields.Action], StringComparison.Ordinal);
    }
}
