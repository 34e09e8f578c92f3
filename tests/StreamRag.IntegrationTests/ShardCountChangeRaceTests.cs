using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.IntegrationTests;

/// <summary>
/// The races of a change of shard count made certain (issue 24): the fleet writes a document at a
/// chosen step of its copy (<see cref="ShardCountChange.OnCopyStep"/>), on a real Redis; and a change
/// interrupted mid-copy is resumed, or rolled back, by running it again.
/// </summary>
public sealed class ShardCountChangeRaceTests(RedisServerFixture redis)
{
    private const int Dimensions = 16;
    private static readonly DateTimeOffset ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(1_900_000_000_000);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public enum Race
    {
        FewerPassages,
        Deleted,
        Expired,
    }

    [Theory]
    [InlineData(Race.FewerPassages, "Found")]
    [InlineData(Race.FewerPassages, "Read")]
    [InlineData(Race.FewerPassages, "Written")]
    [InlineData(Race.Deleted, "Found")]
    [InlineData(Race.Deleted, "Read")]
    [InlineData(Race.Deleted, "Written")]
    [InlineData(Race.Expired, "Found")]
    [InlineData(Race.Expired, "Read")]
    [InlineData(Race.Expired, "Written")]
    public async Task ShardCountChange_DocumentWrittenDuringItsCopy_NewLayoutHoldsWhatTheOldOneHolds(Race race, string at)
    {
        // Read: after the copy's one read of the document, before its write: the window of issue 24.
        var step = Enum.Parse<CopyStep>(at);
        await using var scope = new TestScope(redis, test: $"{nameof(ShardCountChange_DocumentWrittenDuringItsCopy_NewLayoutHoldsWhatTheOldOneHolds)}-{race}-{step}");
        var fleet = Fleet(scope);
        // "raced" has three passages (and an expiry, for the sweeper's race); "bystander" is only copied.
        await fleet.Index.UpsertAsync(Document("raced", 1, passages: 3, expiresAt: ExpiresAt), Ct);
        await fleet.Index.UpsertAsync(Document("bystander", 1, passages: 2), Ct);
        var raced = 0;
        var change = new ShardCountChange(scope.Connections(), scope.Keys, Options(), TimeProvider.System, TextWriter.Null)
        {
            Settle = TimeSpan.FromMilliseconds(100),
            OnCopyStep = async (at, _, id, cancellationToken) =>
            {
                // Once: the copy reads the document again when it moved on, and passes this step again.
                if (at != step || id != "raced" || Interlocked.Increment(ref raced) != 1)
                {
                    return;
                }

                // The fleet's write as a host that has seen the change makes it: to both layouts.
                fleet.Layouts.Invalidate();
                var written = race switch
                {
                    Race.FewerPassages => await fleet.Index.UpsertAsync(Document("raced", 2, passages: 1), cancellationToken) == IndexWriteResult.Applied,
                    Race.Deleted => await fleet.Index.DeleteAsync("default", "raced", 2, cancellationToken) == IndexWriteResult.Applied,
                    _ => await ExpireAsSweeperAsync(fleet, cancellationToken),
                };
                Assert.True(written, $"the racing {race} was not applied");
            },
        };

        var (from, to) = Counts(scope);
        var report = await change.RunAsync(to, Ct);

        Assert.True(report.Finished, report.Summary);
        Assert.True(raced >= 1, "the race was not run");
        var layout = await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys);
        Assert.Equal(new IndexLayoutState(2, new IndexLayout(1, to), null, null), layout);
        var target = layout.Current.PartitionOf(scope.Keys, "default", "raced");
        var state = await PartitionReads.DocumentStateAsync(scope.Db, target, "raced");
        var (version, deleted, passages) = race switch
        {
            Race.FewerPassages => (2L, false, 1),
            Race.Deleted => (2L, true, 0),
            _ => (1L, true, 0),
        };
        Assert.NotNull(state);
        Assert.Equal((version, deleted, passages), (state.Version, state.Deleted, state.Chunks));
        // Exactly the passages that document has now, and the bystander's: no element left behind.
        var elements = await ElementsAsync(scope, layout.Current);
        Assert.Equal(
            Enumerable.Range(0, passages).Select(i => $"raced#{i}").Concat(["bystander#0", "bystander#1"]).Order(StringComparer.Ordinal),
            elements.Order(StringComparer.Ordinal));
        // v2 has no expiry, and a tombstone none either.
        Assert.Null(await scope.Db.SortedSetScoreAsync(target.ExpiryIndex, "raced"));
        await AssertOldLayoutRemovedAsync(scope, new IndexLayout(0, from));
        fleet.Layouts.Invalidate();
        var hits = await fleet.Index.SearchAsync(new VectorQuery("default", Vector("bystander", 0), 1, QueryFilters.None, null, Exact: true), Ct);
        Assert.Equal("bystander", Assert.Single(hits).DocumentId);
    }

    [Fact]
    public async Task ShardCountChange_InterruptedMidCopy_RunAgain_ResumesAndFinishes()
    {
        await using var scope = new TestScope(redis);
        var (_, ids) = await InterruptedChangeAsync(scope);

        var (from, to) = Counts(scope);
        var report = await RunAgainAsync(scope, to, ShardCountChangeAction.Resumed, $"resuming the change to {to} shards");

        Assert.StartsWith($"resumed: {from} -> {to} shards", report.Summary, StringComparison.Ordinal);
        // What the interrupted run copied is found there again, the rest copied now.
        Assert.Equal(ids.Length, report.Copied + report.AlreadyThere);
        Assert.True(report.AlreadyThere > 0 && report.Copied > 0, report.Summary);
        Assert.Equal(new IndexLayoutState(2, new IndexLayout(1, to), null, null), await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys));
        await AssertEveryDocumentFoundAsync(scope, ids);
        await AssertOldLayoutRemovedAsync(scope, new IndexLayout(0, from));
    }

    [Fact]
    public async Task ShardCountChange_InterruptedMidCopy_RunWithTheOldCount_RollsBack()
    {
        await using var scope = new TestScope(redis);
        var (fleet, ids) = await InterruptedChangeAsync(scope);
        // Written while the change stood interrupted: to both layouts.
        fleet.Layouts.Invalidate();
        await fleet.Index.UpsertAsync(Document("late", 1, passages: 1), Ct);

        var (from, to) = Counts(scope);
        var report = await RunAgainAsync(scope, from, ShardCountChangeAction.RolledBack, $"rolling back the change to {to} shards");

        Assert.StartsWith($"rolled back: {to} -> {from} shards", report.Summary, StringComparison.Ordinal);
        Assert.Equal(new IndexLayoutState(2, new IndexLayout(0, from), null, null), await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys));
        await AssertEveryDocumentFoundAsync(scope, [.. ids, "late"]);
        // The abandoned layout's keys are gone (its fences stay), and a host writes the current layout only.
        foreach (var partition in new IndexLayout(1, to).PartitionsOf(scope.Keys, "default"))
        {
            Assert.False(await scope.Db.KeyExistsAsync(partition.VectorSet), $"{partition.VectorSet} is still there");
            Assert.False(await scope.Db.KeyExistsAsync(partition.Document("late")), $"{partition.Document("late")} is still there");
        }

        fleet.Layouts.Invalidate();
        Assert.Equal(IndexWriteResult.Applied, await fleet.Index.UpsertAsync(Document("after", 1, passages: 1), Ct));
        Assert.False(await scope.Db.KeyExistsAsync(new IndexLayout(1, to).PartitionOf(scope.Keys, "default", "after").Document("after")));

        // Then a change to another count starts afresh (the abandoned generation's names again, under a higher number).
        await RunAgainAsync(scope, from + 1, ShardCountChangeAction.Started, "every write now goes to both layouts");
        Assert.Equal(new IndexLayout(1, from + 1), (await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys)).Current);
        await AssertEveryDocumentFoundAsync(scope, [.. ids, "late", "after"]);
    }

    [Fact]
    public async Task ShardCountChange_RollbackInterruptedBeforeItsRemoval_RunAgain_FinishesTheRollback()
    {
        await using var scope = new TestScope(redis);
        var (_, ids) = await InterruptedChangeAsync(scope);
        var (from, to) = Counts(scope);
        // What a rollback records first, before it removes the abandoned layout's keys.
        var changing = await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys);
        Assert.True(await IndexLayoutStore.ReplaceAsync(scope.Db, scope.Keys, changing, new IndexLayoutState(changing.Number + 1, changing.Current, null, changing.Next)));

        var refused = await Assert.ThrowsAsync<ShardCountChangeException>(() =>
            new ShardCountChange(scope.Connections(), scope.Keys, Options(), TimeProvider.System, TextWriter.Null).RunAsync(to, Ct));
        var report = await RunAgainAsync(scope, from, ShardCountChangeAction.RolledBack, $"finishing the rollback of the change to {to} shards");

        Assert.Contains($"the change to {to} shards was rolled back but its keys are not removed yet", refused.Message, StringComparison.Ordinal);
        Assert.StartsWith($"rolled back: {to} -> {from} shards", report.Summary, StringComparison.Ordinal);
        Assert.Equal(new IndexLayoutState(2, new IndexLayout(0, from), null, null), await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys));
        await AssertEveryDocumentFoundAsync(scope, ids);
        Assert.False(await scope.Db.KeyExistsAsync(new IndexLayout(1, to).PartitionOf(scope.Keys, "default", "doc-0").Document("doc-0")));
    }

    [Fact]
    public async Task ShardCountChange_InterruptedMidCopy_RunWithAThirdCount_IsRefusedWithBothWaysOut()
    {
        await using var scope = new TestScope(redis);
        await InterruptedChangeAsync(scope);

        var (from, to) = Counts(scope);
        var refused = await Assert.ThrowsAsync<ShardCountChangeException>(() =>
            new ShardCountChange(scope.Connections(), scope.Keys, Options(), TimeProvider.System, TextWriter.Null).RunAsync(to + 2, Ct));

        Assert.Contains($"run it again with {to} to finish it, or with {from} to roll it back", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes 30 documents, then begins a change to two more shards and cancels it (as Ctrl-C would)
    /// when its copy reaches the 10th document.
    /// </summary>
    private static async Task<(Writer Fleet, string[] Ids)> InterruptedChangeAsync(TestScope scope)
    {
        var fleet = Fleet(scope);
        var ids = await SeedAsync(fleet, 30);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var found = 0;
        var change = new ShardCountChange(scope.Connections(), scope.Keys, Options(), TimeProvider.System, TextWriter.Null)
        {
            Settle = TimeSpan.FromMilliseconds(100),
            OnCopyStep = async (step, _, _, _) =>
            {
                if (step == CopyStep.Found && Interlocked.Increment(ref found) == 10)
                {
                    await interrupt.CancelAsync();
                }
            },
        };

        var (from, to) = Counts(scope);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => change.RunAsync(to, interrupt.Token));
        var state = await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys);
        Assert.Equal(new IndexLayoutState(1, new IndexLayout(0, from), new IndexLayout(1, to), null), state);
        return (fleet, ids);
    }

    /// <summary>Runs a change to <paramref name="shards"/> to its end; checks what it says it did.</summary>
    private static async Task<ShardCountChangeReport> RunAgainAsync(TestScope scope, int shards, ShardCountChangeAction did, string says)
    {
        var progress = new StringWriter();
        var report = await new ShardCountChange(scope.Connections(), scope.Keys, Options(), TimeProvider.System, progress) { Settle = TimeSpan.FromMilliseconds(100) }.RunAsync(shards, Ct);
        Assert.True(report.Finished, report.Summary);
        Assert.Equal(did, report.Action);
        Assert.Contains(says, progress.ToString(), StringComparison.Ordinal);
        return report;
    }

    private static async Task<string[]> SeedAsync(Writer fleet, int count)
    {
        var ids = Enumerable.Range(0, count).Select(i => $"doc-{i}").ToArray();
        foreach (var id in ids)
        {
            await fleet.Index.UpsertAsync(Document(id, 1, passages: 2), Ct);
        }

        return ids;
    }

    /// <summary>Every document's passages are found first by their own vectors, by a host reading the layout afresh.</summary>
    private static async Task AssertEveryDocumentFoundAsync(TestScope scope, string[] ids)
    {
        var index = Fleet(scope).Index;
        foreach (var id in ids)
        {
            foreach (var passage in Enumerable.Range(0, id.StartsWith("doc-", StringComparison.Ordinal) ? 2 : 1))
            {
                var hits = await index.SearchAsync(new VectorQuery("default", Vector(id, passage), 1, QueryFilters.None, null, Exact: true), Ct);
                Assert.True(hits.Count == 1 && hits[0].DocumentId == id && hits[0].Chunk == passage, $"{id}#{passage} is not found first: {string.Join(", ", hits.Select(h => $"{h.DocumentId}#{h.Chunk}"))}");
            }
        }

        var layout = (await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys)).Current;
        Assert.Equal(ids.Sum(id => id.StartsWith("doc-", StringComparison.Ordinal) ? 2 : 1), (await ElementsAsync(scope, layout)).Length);
    }

    /// <summary>Expires "raced" as the retention sweeper does: the deletion record written, published (here: dropped), acknowledged.</summary>
    private static async Task<bool> ExpireAsSweeperAsync(Writer fleet, CancellationToken cancellationToken)
    {
        var expired = await fleet.Index.ExpireBatchAsync("default", [new ExpiringDocument("raced", ExpiresAt)], DateTimeOffset.UtcNow, cancellationToken);
        await fleet.Metadata.AcknowledgeDeletionRecordsAsync(expired, cancellationToken);
        return expired.Count == 1;
    }

    private sealed record Writer(VectorSetIndex Index, IPartitionMetadata Metadata, IndexLayoutSource Layouts);

    private static Writer Fleet(TestScope scope)
    {
        var connections = scope.Connections();
        var layouts = new IndexLayoutSource(connections, scope.Keys, TimeProvider.System);
        var index = new VectorSetIndex(connections, scope.Keys, Microsoft.Extensions.Options.Options.Create(Options()), layouts: layouts);
        return new Writer(index, new PartitionMetadataStore(connections, scope.Keys, index), layouts);
    }

    /// <summary>The scope's shard count (1, or 3 on a cluster) and the count the tests change to.</summary>
    private static (int From, int To) Counts(TestScope scope) => (scope.Keys.Shards, scope.Keys.Shards + 2);

    private static IndexOptions Options() => new() { Dimensions = Dimensions };

    private static IndexedDocument Document(string id, long version, int passages, DateTimeOffset? expiresAt = null) =>
        new("default", id, version, $"h-{id}-{version}", "wiki", DateTimeOffset.UnixEpoch, [], expiresAt,
            Enumerable.Range(0, passages).Select(i => new IndexedChunk(i, $"passage {i} of {id} v{version}", Vector(id, i))).ToArray());

    // A vector of its own per (document, passage): far from the others, so an exact search finds it first.
    private static float[] Vector(string id, int passage)
    {
        var random = new Random(HashCode.Combine(string.GetHashCode(id, StringComparison.Ordinal), passage));
        return Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
    }

    private static async Task<string[]> ElementsAsync(TestScope scope, IndexLayout layout)
    {
        var all = new List<string>();
        foreach (var partition in layout.PartitionsOf(scope.Keys, "default"))
        {
            var members = await scope.Db.ExecuteAsync("VRANDMEMBER", partition.VectorSet, 1_000);
            all.AddRange(members.IsNull ? [] : ((RedisResult[])members!).Select(m => (string)m!).Distinct(StringComparer.Ordinal));
        }

        return [.. all];
    }

    private static async Task AssertOldLayoutRemovedAsync(TestScope scope, IndexLayout old)
    {
        foreach (var partition in old.PartitionsOf(scope.Keys, "default"))
        {
            Assert.False(await scope.Db.KeyExistsAsync(partition.VectorSet), $"{partition.VectorSet} is still there");
            Assert.False(await scope.Db.KeyExistsAsync(partition.Document("bystander")), $"{partition.Document("bystander")} is still there");
            Assert.True(await scope.Db.KeyExistsAsync(partition.Fence), $"{partition.Fence} is gone");
        }
    }
}
