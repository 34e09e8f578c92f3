using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;
using static StreamRag.FaultTests.Fleet;

namespace StreamRag.FaultTests;

/// <summary>
/// Standing queries, black-box, with the query worker, the embedder and the sweeper as processes
/// (hashing embedder): exactly the matching passages notify, once each; a killed embedder's
/// redelivered batch notifies nothing twice; expired and removed watches notify nothing.
/// </summary>
public sealed class WatchTests(RedisServerFixture redis)
{
    private const string Question = "honeybee queen lays eggs in the hive";

    /// <summary>Notifications must arrive within this of their event (generous: two shared cores).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Watch_MatchingAndOtherDocuments_ExactlyTheMatchingPassagesNotifiedOnceEach()
    {
        await using var fleet = WatchFleet.Start(redis);
        var (scope, embedder, client) = (fleet.Scope, fleet.Embedder, fleet.Client);
        var notifyTo = scope.Keys.WatchStreamPrefix + "desk";
        const double threshold = 0.75;

        var plain = await client.RegisterWatchAsync(Question, new WatchQueryOptions { Threshold = threshold, NotifyTo = notifyTo, Filters = QueryFilters.None with { Sources = ["wiki"] } }, Ct);
        var tagged = await client.RegisterWatchAsync(Question, new WatchQueryOptions { Threshold = threshold, NotifyTo = notifyTo, Filters = QueryFilters.None with { TagsAll = ["a", "b"] } }, Ct);
        Assert.Equal(notifyTo, plain.NotifyTo);
        Assert.NotEqual(plain.Id, tagged.Id);

        // (tenant, id, version, source, tags, content); the last two events change m2 and delete it.
        (string Tenant, string Id, long Version, string Source, string Tags, string? Content)[] events =
        [
            ("default", "m1", 1, "wiki", "a,b", "the honeybee queen lays eggs in the hive every spring"),
            ("default", "m2", 1, "wiki", "a", "a honeybee queen lays eggs in the hive"),
            ("default", "n1", 1, "wiki", "a,b", "volcanoes erupt when magma rises to the surface"),
            ("default", "n2", 1, "wiki", "", "stock markets fell sharply on tuesday after the report"),
            ("other", "o1", 1, "wiki", "a,b", "the honeybee queen lays eggs in the hive every spring"),
            ("default", "f1", 1, "blog", "c", "honeybee queen lays eggs in the hive, says the blog"),
            ("default", "m1", 2, "wiki", "a,b", "the honeybee queen lays eggs in the hive every spring"),
            ("default", "m2", 2, "wiki", "a", "the honeybee queen lays eggs in the hive all summer"),
            ("default", "m2", 3, "wiki", "a", null),
        ];
        var ids = new List<RedisValue>();
        foreach (var e in events)
        {
            var stream = scope.Keys.DocumentEvents;
            ids.Add(e.Content is null
                ? await scope.Db.StreamAddAsync(stream, [new("op", "delete"), new("id", e.Id), new("version", e.Version), new("tenant", e.Tenant)])
                : await scope.Db.StreamAddAsync(stream, [new("id", e.Id), new("version", e.Version), new("tenant", e.Tenant), new("source", e.Source), new("tags", e.Tags), new("content", e.Content)]));
            // One at a time, so each version is indexed before the next (a batch would skip superseded ones).
            await WaitDrainedAsync(scope.Db, stream, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(30), () => embedder.Output);
        }

        // Exactly what each watch should get, from the exact similarity of the hashing embeddings.
        var q = TestScope.Embedder.Embed(Question);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var seenContent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Content is null || e.Tenant != "default" || (seenContent.TryGetValue(e.Id, out var before) && before == e.Content))
            {
                continue; // deletes, other tenants and unchanged content notify nothing
            }

            seenContent[e.Id] = e.Content;
            var score = Score(q, TestScope.Embedder.Embed(e.Content));
            Assert.True(Math.Abs(score - threshold) > 0.02, $"{e.Id} v{e.Version} scores {score:0.000}, too near the threshold for a sharp test");
            var tags = e.Tags.Split(',', StringSplitOptions.RemoveEmptyEntries);
            if (score >= threshold && e.Source == "wiki")
            {
                expected.Add($"{plain.Id}|{e.Id}|{e.Version}|0");
            }

            if (score >= threshold && tags.Contains("a") && tags.Contains("b"))
            {
                expected.Add($"{tagged.Id}|{e.Id}|{e.Version}|0");
            }
        }

        var entries = await scope.Db.StreamRangeAsync(notifyTo);
        var got = entries.Select(n => $"{n["watch"]}|{n["id"]}|{n["version"]}|{n["chunk"]}").ToArray();
        Assert.Equal(got.Length, got.Distinct().Count());
        Assert.Equal(expected.Order(), got.Order());
        Assert.Equal(["m1|1", "m2|1", "m2|2"], got.Where(g => g.StartsWith(plain.Id, StringComparison.Ordinal)).Select(g => string.Join('|', g.Split('|')[1..3])).Order());
        Assert.Equal(["m1|1"], got.Where(g => g.StartsWith(tagged.Id, StringComparison.Ordinal)).Select(g => string.Join('|', g.Split('|')[1..3])));

        // Each within the bound of its event's XADD, with the passage and its metadata.
        foreach (var n in entries)
        {
            var eventTime = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(((string)n["event"]!).Split('-')[0], System.Globalization.CultureInfo.InvariantCulture));
            var at = DateTimeOffset.FromUnixTimeMilliseconds((long)n["at"]);
            Assert.InRange(at - eventTime, TimeSpan.Zero, Bound);
            Assert.Contains("honeybee", (string)n["content"]!, StringComparison.Ordinal);
            Assert.Equal("default", (string)n["tenant"]!);
            Assert.True((double)n["score"] >= threshold);
        }
    }

    [Fact]
    public async Task Watch_EmbedderSigkilledMidBatch_RedeliveredBatchNotifiesNothingTwice()
    {
        const int n = 4_000;
        const double threshold = 0.75;
        await using var scope = new TestScope(redis);
        var settings = scope.Settings([.. FastReclaim, .. SmallChunks]);
        await using var query = WorkerProcess.Start("Query", settings);
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);
        var notifyTo = scope.Keys.WatchStreamPrefix + "kill";
        var watch = await client.RegisterWatchAsync("bees honey hives queen colony", new WatchQueryOptions { Threshold = threshold, NotifyTo = notifyTo }, Ct);

        var first = WorkerProcess.Start("Embedder", settings);
        await ProduceAsync(scope.Db, scope.Keys.DocumentEvents, Enumerable.Range(0, n).Select(i => Upsert(i)));
        long pendingAtKill = 0, notifiedAtKill = 0;
        await EventuallyAsync(async () =>
        {
            Assert.False(first.HasExited, first.Output);
            pendingAtKill = (await GroupAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup))?.PendingMessageCount ?? 0;
            notifiedAtKill = await scope.Db.StreamLengthAsync(notifyTo);
            return pendingAtKill > 0 && notifiedAtKill > n / 4;
        }, "notifications are under way with entries in flight", TimeSpan.FromSeconds(120));
        await first.KillAsync();
        await first.DisposeAsync();

        await using var second = WorkerProcess.Start("Embedder", settings);
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(180), () => second.Output);

        var q = TestScope.Embedder.Embed("bees honey hives queen colony");
        var notified = (await scope.Db.StreamRangeAsync(notifyTo)).Select(e => $"{e["id"]}#{e["chunk"]}").ToArray();
        var duplicates = notified.GroupBy(x => x).Count(g => g.Count() > 1);
        var set = notified.ToHashSet(StringComparer.Ordinal);
        int missing = 0, wrong = 0, expectedCount = 0;
        for (var i = 0; i < n; i++)
        {
            var passages = Chunker.Split(Content(i));
            for (var c = 0; c < passages.Count; c++)
            {
                var score = Score(q, TestScope.Embedder.Embed(passages[c].Text));
                var got = set.Contains($"d{i}#{c}");
                if (score >= threshold + 0.02)
                {
                    expectedCount++;
                    missing += got ? 0 : 1;
                }
                else if (score < threshold - 0.02 && got)
                {
                    wrong++;
                }
            }
        }

        Assert.True(pendingAtKill > 0, "the kill should catch entries in flight");
        Assert.True(expectedCount >= n, $"the scenario should match at least one passage per document, not {expectedCount}");
        Assert.Equal(0, duplicates);
        Assert.Equal(0, missing);
        Assert.Equal(0, wrong);
        Assert.All(await scope.Db.StreamRangeAsync(notifyTo, count: 10), e => Assert.Equal(watch.Id, (string)e["watch"]!));
    }

    [Fact]
    public async Task Watch_ExpiredRemovedAndOverLimit_NotifyNothingAndAreRefusedClearly()
    {
        await using var fleet = WatchFleet.Start(redis, ("Watch:MaxPerTenant", "2"), ("Sweeper:Interval", "00:00:00.200"));
        var (scope, settings, embedder, client) = (fleet.Scope, fleet.Settings, fleet.Embedder, fleet.Client);
        var notifyTo = scope.Keys.WatchStreamPrefix + "gone";
        var options = new WatchQueryOptions { Threshold = 0.7, NotifyTo = notifyTo };

        var expiring = await client.RegisterWatchAsync(Question, options with { Ttl = TimeSpan.FromSeconds(1) }, Ct);
        var removed = await client.RegisterWatchAsync(Question, options, Ct);
        var limited = await Assert.ThrowsAsync<WatchException>(() => client.RegisterWatchAsync(Question, options, Ct));
        Assert.Equal(ErrorCodes.WatchLimit, limited.Code);
        var outside = await Assert.ThrowsAsync<WatchException>(() => client.RegisterWatchAsync(Question, options with { NotifyTo = "elsewhere:stream" }, Ct));
        Assert.Equal(ErrorCodes.InvalidField, outside.Code);
        Assert.True(await client.UnwatchAsync(removed.Id, cancellationToken: Ct));
        Assert.False(await client.UnwatchAsync(removed.Id, cancellationToken: Ct));

        // Past the expiry, before any sweeper ran: the expired watch is still stored, and must not match.
        await Task.Delay(expiring.ExpiresAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200), Ct);
        Assert.Equal(1, await scope.Db.VectorSetLengthAsync(scope.Keys.WatchSet("default")));
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "m1"), new("version", 1), new("content", "the honeybee queen lays eggs in the hive every spring")]);
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(30), () => embedder.Output);
        Assert.Equal(0, await scope.Db.StreamLengthAsync(notifyTo));
        Assert.False(await client.UnwatchAsync(expiring.Id, cancellationToken: Ct));

        // A registration now passes the limit again (expired and removed watches do not count).
        var again = await client.RegisterWatchAsync(Question, options, Ct);
        Assert.True(await client.UnwatchAsync(again.Id, cancellationToken: Ct));

        // The sweeper removes what expired: nothing of the tenant's watches is left.
        await client.RegisterWatchAsync(Question, options with { Ttl = TimeSpan.FromSeconds(1) }, Ct);
        await using var sweeper = WorkerProcess.Start("Sweeper", settings);
        await EventuallyAsync(async () => await scope.Db.VectorSetLengthAsync(scope.Keys.WatchSet("default")) == 0
            && await scope.Db.SortedSetLengthAsync(scope.Keys.WatchExpiry("default")) == 0, "the sweeper removed the expired watches", TimeSpan.FromSeconds(30), () => sweeper.Output);
    }

    [Fact]
    public async Task WatchAsync_YieldsNotificationsAsTheyArrive_AndResumesAfterTheLastOneHandled()
    {
        await using var fleet = WatchFleet.Start(redis);
        var (scope, embedder, client) = (fleet.Scope, fleet.Embedder, fleet.Client);
        var options = new WatchQueryOptions { Threshold = 0.75, NotifyTo = scope.Keys.WatchStreamPrefix + "app" };

        // The first notification, then the reader stops (as a process that exits would).
        var first = await FirstNotificationThenStopAsync(scope, client, options, fleet.Timeout);

        Assert.Equal("m1", first.DocumentId);
        Assert.Equal(0, first.Chunk);
        Assert.Equal(1, first.Version);
        Assert.True(first.Score >= 0.75);

        // While nobody reads: a second match is kept in the stream; resuming after the first yields it, and only it.
        await PostEventAsync(scope, "m2", "a honeybee queen lays eggs in the hive");
        await PostEventAsync(scope, "n1", "volcanoes erupt when magma rises to the surface");
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(30), () => embedder.Output);
        var resumed = options with { WatchId = first.WatchId, After = first.StreamId };
        await foreach (var n in client.WatchAsync(Question, resumed, fleet.Timeout))
        {
            Assert.Equal("m2", n.DocumentId);
            Assert.Equal(first.WatchId, n.WatchId);
            break;
        }

        Assert.Equal(2, await scope.Db.StreamLengthAsync(options.NotifyTo));
        Assert.Equal(1, await scope.Db.SortedSetLengthAsync(scope.Keys.WatchExpiry("default")));
    }

    [Fact]
    public async Task WatchAsync_WithAConsumerGroup_AfterARestartGivesWhatWasNotFinished_ThenWhatArrivedMeanwhile()
    {
        await using var fleet = WatchFleet.Start(redis);
        var (scope, embedder, client) = (fleet.Scope, fleet.Embedder, fleet.Client);
        var options = new WatchQueryOptions { Threshold = 0.75, NotifyTo = scope.Keys.WatchStreamPrefix + "desk", ConsumerGroup = "desk", Consumer = "desk-1" };
        // Handed m1, then the reader stops before asking for more (a crash while handling it).
        var first = await FirstNotificationThenStopAsync(scope, client, options, fleet.Timeout);

        Assert.Equal("m1", first.DocumentId);
        Assert.Equal(1, (await scope.Db.StreamPendingAsync(options.NotifyTo, "desk")).PendingMessageCount);

        // Away: m2 arrives. The restarted reader (same group and consumer) gets m1 again, then m2;
        // asking for m2 acknowledges m1, and m2 stays pending until the next is asked for.
        await PostEventAsync(scope, "m2", "a honeybee queen lays eggs in the hive");
        await WaitDrainedAsync(scope.Db, scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup, TimeSpan.FromSeconds(30), () => embedder.Output);
        var seen = new List<WatchNotification>();
        await foreach (var n in client.WatchAsync(Question, options with { WatchId = first.WatchId }, fleet.Timeout))
        {
            seen.Add(n);
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["m1", "m2"], seen.Select(n => n.DocumentId));
        Assert.Equal(first.StreamId, seen[0].StreamId);
        var pending = await scope.Db.StreamPendingMessagesAsync(options.NotifyTo, "desk", 10, "desk-1");
        Assert.Equal([seen[1].StreamId], pending.Select(p => (string)p.MessageId!));
    }

    [Fact]
    public async Task Watch_SameDocumentVersionMatchedTwice_NotifiesOnce()
    {
        // What a redelivery after a crash between notifying and writing does: the match runs again.
        await using var scope = new TestScope(redis);
        var options = Options.Create(new WatchOptions());
        var store = new WatchStore(scope.Connections(), scope.Keys, options, TimeProvider.System);
        var matcher = new WatchMatcher(scope.Connections(), scope.Keys, options, TimeProvider.System);
        var notifyTo = scope.Keys.WatchStreamPrefix + "twice";
        var id = WatchStore.IdOf("default", "r1", "1-0");
        Assert.Equal(WatchAddResult.Added, await store.AddAsync("default", id, TestScope.Embedder.Embed(Question), QueryFilters.None, new WatchRequest(0.7, TimeSpan.FromHours(1), notifyTo), Ct));
        var document = HoneybeeDocument(version: 7);

        var first = await matcher.NotifyAsync(document, "5-0", Ct);
        var again = await matcher.NotifyAsync(document, "5-0", Ct);
        var next = await matcher.NotifyAsync(document with { Version = 8 }, "6-0", Ct);

        Assert.Equal(new WatchMatchReport(1, 1), first);
        Assert.Equal(new WatchMatchReport(1, 0), again);
        Assert.Equal(new WatchMatchReport(1, 1), next);
        Assert.Equal(2, await scope.Db.StreamLengthAsync(notifyTo));
    }

    [Fact]
    public async Task Watch_PassageNearMoreWatchesThanTheFirstSearchReturns_IsSearchedAgainForAllItMayNotify()
    {
        // The first search asks for SearchEf watches (VSIM would otherwise explore MaxMatchesPerPassage
        // whatever EF says); a full answer means there may be more, up to MaxMatchesPerPassage.
        await using var scope = new TestScope(redis);
        var options = Options.Create(new WatchOptions { SearchEf = 2, MaxMatchesPerPassage = 5 });
        var store = new WatchStore(scope.Connections(), scope.Keys, options, TimeProvider.System);
        var matcher = new WatchMatcher(scope.Connections(), scope.Keys, options, TimeProvider.System);
        var notifyTo = scope.Keys.WatchStreamPrefix + "many";
        for (var i = 1; i <= 6; i++)
        {
            var id = WatchStore.IdOf("default", "r1", $"{i}-0");
            Assert.Equal(WatchAddResult.Added, await store.AddAsync("default", id, TestScope.Embedder.Embed(Question), QueryFilters.None, new WatchRequest(0.7, TimeSpan.FromHours(1), notifyTo), Ct));
        }

        var document = HoneybeeDocument(version: 1);

        Assert.Equal(new WatchMatchReport(5, 5), await matcher.NotifyAsync(document, "5-0", Ct));
        Assert.Equal(5, await scope.Db.StreamLengthAsync(notifyTo));
    }

    /// <summary>Document m1 of the default tenant as the embedder hands it to matching: one passage that answers <see cref="Question"/>.</summary>
    private static IndexedDocument HoneybeeDocument(long version)
    {
        const string text = "the honeybee queen lays eggs in the hive every spring";
        return new IndexedDocument("default", "m1", version, "", "wiki", DateTimeOffset.UtcNow, [], null, [new IndexedChunk(0, text, TestScope.Embedder.Embed(text))]);
    }

    /// <summary>A test's key space with a query worker and an embedder running as processes, and a client of it; disposed in reverse.</summary>
    private sealed class WatchFleet : IAsyncDisposable
    {
        private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        private WatchFleet(TestScope scope, Dictionary<string, string?> settings)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            Scope = scope;
            Settings = settings;
            Query = WorkerProcess.Start("Query", settings);
            Embedder = WorkerProcess.Start("Embedder", settings);
            Client = new StreamRagClient(scope.Redis.Connection, scope.Keys);
        }

        public TestScope Scope { get; }

        public Dictionary<string, string?> Settings { get; }

        public WorkerProcess Query { get; }

        public WorkerProcess Embedder { get; }

        public StreamRagClient Client { get; }

        /// <summary>The test's token, cancelled after a minute: a watch read that hangs fails the test instead.</summary>
        public CancellationToken Timeout => timeout.Token;

        public static WatchFleet Start(RedisServerFixture redis, params (string Key, string Value)[] overrides)
        {
            var scope = new TestScope(redis);
            return new WatchFleet(scope, scope.Settings(overrides));
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Embedder.DisposeAsync();
            await Query.DisposeAsync();
            await Scope.DisposeAsync();
            timeout.Dispose();
        }
    }

    private static async Task PostEventAsync(TestScope scope, string id, string content) =>
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", id), new("version", 1), new("content", content)]);

    /// <summary>Starts reading a new watch, posts a matching document (m1) once it is registered, and stops after the first notification.</summary>
    private static async Task<WatchNotification> FirstNotificationThenStopAsync(TestScope scope, StreamRagClient client, WatchQueryOptions options, CancellationToken cancellationToken)
    {
        await using var reader = client.WatchAsync(Question, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var next = reader.MoveNextAsync();
        // The registration is under way once the reader asked; post when it is in.
        await EventuallyAsync(async () => await scope.Db.SortedSetLengthAsync(scope.Keys.WatchExpiry("default")) == 1, "the watch is registered", TimeSpan.FromSeconds(30));
        await PostEventAsync(scope, "m1", "the honeybee queen lays eggs in the hive every spring");
        Assert.True(await next);
        return reader.Current;
    }

    private static double Score(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return (1 + (dot / Math.Sqrt(na * nb))) / 2;
    }
}
