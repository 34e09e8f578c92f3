using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Sweeper;

namespace StreamRag.IntegrationTests;

/// <summary>The retention sweeper against a real Redis 8, on a fake clock.</summary>
public sealed class SweeperTests(RedisServerFixture redis)
{
    private const int Dims = 16;
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string, string)[] SmallIndex = [("Index:Dimensions", "16"), ("Embedding:Dimensions", "16")];

    internal static IndexedDocument Doc(string id, long version, DateTimeOffset? expiresAt, int chunks = 1, string tenant = "default", int seed = 0)
    {
        var random = new Random(HashCode.Combine(id, seed));
        return new IndexedDocument(tenant, id, version, $"h{id}v{version}", "crm", T0, ["t"], expiresAt,
            Enumerable.Range(0, chunks).Select(c => new IndexedChunk(c, $"{id} chunk {c}", Enumerable.Range(0, Dims).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())).ToArray());
    }

    internal static async Task UpsertAllAsync(IVectorIndex index, IEnumerable<IndexedDocument> docs)
    {
        foreach (var batch in docs.Chunk(500))
        {
            await Task.WhenAll(batch.Select(d => index.UpsertAsync(d, Ct)));
        }
    }

    /// <summary>A sweeper's services, built but not started: the test drives its passes.</summary>
    private static IHost BuildSweeper(TestScope scope, FakeTimeProvider clock, params (string Key, string Value)[] overrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(scope.Settings([.. SmallIndex, .. overrides]));
        builder.AddSweeperWorker();
        builder.Services.AddSingleton<TimeProvider>(clock);
        return builder.Build();
    }

    private static async Task<StreamEntry[]> DeletionsAsync(TestScope scope) => await scope.Db.StreamRangeAsync(scope.Keys.DocumentDeletions);

    private static async Task<long> OutboxLengthAsync(TestScope scope) =>
        (await Task.WhenAll(scope.Keys.PartitionsOf("default").Select(p => scope.Db.StreamLengthAsync(p.DeletionOutbox)))).Sum();

    [Fact]
    [ClusterScenario]
    public async Task Host_DeletesADocumentOnceDue_FromSearchMetadataAndExpiryIndex_WithOneAuditRecord()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index(Dims);
        await UpsertAllAsync(index, [Doc("a", 3, T0.AddSeconds(10), chunks: 3), Doc("b", 1, T0.AddSeconds(20)), Doc("c", 1, null)]);
        var clock = new FakeTimeProvider(T0);
        var host = await scope.StartAsync(b => { b.AddSweeperWorker(); b.Services.AddSingleton<TimeProvider>(clock); }, [.. SmallIndex, ("Sweeper:Interval", "00:00:01")]);
        var sweeper = host.Services.GetRequiredService<ExpirySweeper>();
        await TestScope.EventuallyAsync(() => Task.FromResult(sweeper.LastPassNow >= T0), "the first pass ran");

        async Task AdvanceAsync(int seconds)
        {
            for (var i = 0; i < seconds; i++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                var now = clock.GetUtcNow();
                await TestScope.EventuallyAsync(() => Task.FromResult(sweeper.LastPassNow >= now), $"a pass ran at {now:O}");
            }
        }

        await AdvanceAsync(9);
        Assert.Equal(5, (await index.GetStatsAsync(Ct)).Vectors);
        Assert.Empty(await DeletionsAsync(scope));

        await AdvanceAsync(1);

        Assert.Equal(2, (await index.GetStatsAsync(Ct)).Vectors);
        Assert.DoesNotContain("a", (await index.SearchAsync(new VectorQuery("default", Doc("a", 3, null, 3).Chunks![0].Vector, 10, QueryFilters.None, null), Ct)).Select(h => h.DocumentId));
        var state = await index.GetStateAsync("default", "a", Ct);
        Assert.True(state!.Deleted);
        Assert.Equal(3, state.Version);
        Assert.Null(await scope.Db.SortedSetScoreAsync(scope.Keys.PartitionOf("default", "a").ExpiryIndex, "a"));
        Assert.NotNull(await scope.Db.SortedSetScoreAsync(scope.Keys.PartitionOf("default", "b").ExpiryIndex, "b"));

        var record = Assert.Single(await DeletionsAsync(scope));
        Assert.Equal("default", (string?)record[DocumentDeletionFields.Tenant]);
        Assert.Equal("a", (string?)record[DocumentDeletionFields.Id]);
        Assert.Equal(3, (long)record[DocumentDeletionFields.Version]);
        Assert.Equal("crm", (string?)record[DocumentDeletionFields.Source]);
        Assert.Equal(DocumentDeletionFields.ReasonExpired, (string?)record[DocumentDeletionFields.Reason]);
        Assert.Equal(T0.AddSeconds(10).ToUnixTimeMilliseconds(), (long)record[DocumentDeletionFields.ExpiresAt]);
        // Deleted by the first pass after it fell due: the lag is bounded by Sweeper:Interval.
        Assert.Equal(T0.AddSeconds(10).ToUnixTimeMilliseconds(), (long)record[DocumentDeletionFields.DeletedAt]);
        Assert.Equal(0, await OutboxLengthAsync(scope));

        await AdvanceAsync(10);
        Assert.Equal(["a", "b"], (await DeletionsAsync(scope)).Select(e => (string?)e[DocumentDeletionFields.Id]));
        Assert.Equal(1, (await index.GetStatsAsync(Ct)).Vectors);
    }

    [Fact]
    public async Task ManyExpiringAtOnce_AreDeletedInBoundedBatches()
    {
        const int expiring = 3_000, batch = 100;
        await using var scope = new TestScope(redis);
        var index = scope.Index(Dims);
        await UpsertAllAsync(index, Enumerable.Range(0, expiring).Select(i => Doc($"e{i}", 1, T0.AddSeconds(1 + (i % 7) / 1000.0)))
            .Concat(Enumerable.Range(0, 200).Select(i => Doc($"keep{i}", 1, null))));
        var clock = new FakeTimeProvider(T0.AddSeconds(5));
        using var host = BuildSweeper(scope, clock, ("Sweeper:BatchSize", batch.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var report = await host.Services.GetRequiredService<ExpirySweeper>().SweepOnceAsync(Ct);

        Assert.Equal(expiring, report.Expired);
        Assert.True(report.LargestBatch <= batch, $"a script call was given {report.LargestBatch} documents");
        Assert.True(report.Batches >= expiring / batch, $"{report.Batches} batches");
        Assert.Equal(200, (await index.GetStatsAsync(Ct)).Vectors);
        Assert.Equal(0, (await Task.WhenAll(scope.Keys.PartitionsOf("default").Select(p => scope.Db.SortedSetLengthAsync(p.ExpiryIndex)))).Sum());
        Assert.Equal(expiring, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeletions));
        Assert.Equal(0, await OutboxLengthAsync(scope));
    }

    [Fact]
    public async Task APass_ReadsOnlyWhatIsDue_NotWhatIsStored()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index(Dims);
        await UpsertAllAsync(index, Enumerable.Range(0, 2_000).Select(i => Doc($"keep{i}", 1, i % 2 == 0 ? null : T0.AddHours(1)))
            .Concat(Enumerable.Range(0, 5).Select(i => Doc($"due{i}", 1, T0.AddSeconds(i)))));
        using var host = BuildSweeper(scope, new FakeTimeProvider(T0.AddSeconds(10)));

        var report = await host.Services.GetRequiredService<ExpirySweeper>().SweepOnceAsync(Ct);

        Assert.Equal((5, 5, 1), (report.Picked, report.Expired, report.Batches));
    }

    [Fact]
    public async Task ADocumentRescheduledAfterItWasPicked_IsNotDeleted()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index(Dims);
        await UpsertAllAsync(index, [Doc("x", 1, T0), Doc("y", 1, T0)]);

        var due = await index.DueForExpiryAsync("default", T0, 10, Ct);
        await index.UpsertAsync(Doc("y", 2, T0.AddHours(1)), Ct);
        var expired = await index.ExpireBatchAsync("default", due, T0, Ct);

        Assert.Equal(["x"], expired.Select(e => e.Id));
        Assert.False((await index.GetStateAsync("default", "y", Ct))!.Deleted);
        Assert.Equal(T0.AddHours(1), Assert.Single(await index.DueForExpiryAsync("default", T0.AddDays(1), 10, Ct)).ExpiresAt);
    }

    [Fact]
    public async Task RacingSweepers_DeleteEachDocumentExactlyOnce_AndSpareRescheduledOnes()
    {
        const int docs = 2_000;
        await using var scope = new TestScope(redis);
        var index = scope.Index(Dims);
        await UpsertAllAsync(index, Enumerable.Range(0, docs).Select(i => Doc($"d{i}", 1, T0.AddMilliseconds(i % 50), tenant: i % 3 == 0 ? "acme" : "default")));
        var clock = new FakeTimeProvider(T0.AddSeconds(1));
        var hosts = Enumerable.Range(0, 3).Select(_ => BuildSweeper(scope, clock, ("Sweeper:BatchSize", "50"))).ToArray();
        var rescheduled = Enumerable.Range(0, docs).Where(i => i % 10 == 7).Select(i => $"d{i}").ToHashSet();

        // Three sweepers at once, while an upstream system pushes some documents' expiry an hour out.
        var sweeps = hosts.Select(h => Task.Run(() => h.Services.GetRequiredService<ExpirySweeper>().SweepOnceAsync(Ct), Ct)).ToArray();
        var updates = Task.Run(() => UpsertAllAsync(index, rescheduled.Select(id =>
        {
            var n = int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture);
            return Doc(id, 2, T0.AddHours(1), tenant: n % 3 == 0 ? "acme" : "default");
        })), Ct);
        var reports = await Task.WhenAll(sweeps);
        await updates;
        foreach (var h in hosts)
        {
            h.Dispose();
        }

        var records = await DeletionsAsync(scope);
        var deletedIds = records.Select(r => (string)r[DocumentDeletionFields.Id]!).ToArray();
        Assert.Equal(deletedIds.Length, deletedIds.Distinct().Count());
        Assert.Equal(reports.Sum(r => r.Expired), deletedIds.Length);
        Assert.All(records, r => Assert.Equal(1, (long)r[DocumentDeletionFields.Version]));
        for (var i = 0; i < docs; i++)
        {
            var id = $"d{i}";
            var state = await index.GetStateAsync(i % 3 == 0 ? "acme" : "default", id, Ct);
            if (rescheduled.Contains(id))
            {
                // Either it was rescheduled before a sweeper got to it, or it was deleted first and the
                // newer version brought it back: it is live at version 2 either way.
                Assert.Equal((2L, false), (state!.Version, state.Deleted));
            }
            else
            {
                Assert.True(state!.Deleted, $"{id} was missed");
                Assert.Contains(id, deletedIds);
            }
        }

        Assert.Equal(rescheduled.Count, (await index.GetStatsAsync(Ct)).Vectors);
        Assert.Equal(0, await OutboxLengthAsync(scope));
    }

    [Fact]
    [ClusterScenario]
    public async Task DeletionRecords_LeftByACrashedSweeper_ArePublishedByAnother()
    {
        await using var scope = new TestScope(redis);
        var index = scope.Index(Dims);
        await UpsertAllAsync(index, [Doc("p", 1, T0), Doc("q", 1, T0)]);
        // A sweeper deleted them and stopped before it copied the records to the audit stream.
        Assert.Equal(2, (await index.ExpireBatchAsync("default", await index.DueForExpiryAsync("default", T0, 10, Ct), T0, Ct)).Count);
        Assert.Equal(2, await OutboxLengthAsync(scope));
        var clock = new FakeTimeProvider(T0);
        using var host = BuildSweeper(scope, clock, ("Sweeper:OrphanAge", "00:00:30"), ("Sweeper:RecoveryInterval", "00:00:01"));
        var sweeper = host.Services.GetRequiredService<ExpirySweeper>();

        // Young records may still be published by their own sweeper: left alone.
        Assert.Equal(0, (await sweeper.SweepOnceAsync(Ct)).Recovered);
        Assert.Empty(await DeletionsAsync(scope));

        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(2, (await sweeper.SweepOnceAsync(Ct)).Recovered);

        Assert.Equal(["p", "q"], (await DeletionsAsync(scope)).Select(e => (string?)e[DocumentDeletionFields.Id]).Order());
        Assert.Equal(0, await OutboxLengthAsync(scope));
    }
}
