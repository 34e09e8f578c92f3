using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Index;

namespace StreamRag.IntegrationTests;

/// <summary>
/// Changing the shard count of a live index (issue 14, <see cref="ShardCountChange"/>,
/// docs/keys.md#changing-the-shard-count): documents move to their new partitions while the fleet
/// ingests and answers, searches stay correct throughout, and nothing is lost.
/// </summary>
public sealed class ShardCountChangeTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    [ClusterScenario]
    public async Task ShardCountChange_WhileIngestingAndQuerying_EveryQueryFindsItsDocument_NothingLost()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync();
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);
        var index = scope.Index();
        var random = new Random(14);
        // Each document's content is three words no other document has: its words find it first.
        var words = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        string Words(string id) => words.GetOrAdd(id, _ => { lock (random) { return $"{Word(random)} {Word(random)} {Word(random)}"; } });
        Task UpsertAsync(string id, long version) => client.UpsertDocumentAsync(new DocumentUpsert(id, version, $"{Words(id)} honey") { Source = "wiki" }, Ct);

        // doc-0..39 are only read; doc-40..49 get a new version and doc-50..59 are deleted during the change.
        var initial = Enumerable.Range(0, 60).Select(i => $"doc-{i}").ToArray();
        foreach (var id in initial)
        {
            await UpsertAsync(id, 1);
        }

        await TestScope.EventuallyAsync(async () => (await Task.WhenAll(initial.Select(id => index.GetStateAsync("default", id, Ct)))).All(s => s is not null), "every document is indexed");
        var from = scope.Keys.Shards;
        var to = from + 2;
        var oldPartitions = new IndexLayout(0, from).PartitionsOf(scope.Keys, "default").ToArray();

        using var stop = new CancellationTokenSource();
        var misses = new ConcurrentQueue<string>();
        var answered = 0;
        var querying = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = initial[i % 40];
                try
                {
                    var reply = await client.QueryAsync(Words(id), new QueryOptions { K = 3 }, Ct);
                    Interlocked.Increment(ref answered);
                    if (reply.Results.Count == 0 || reply.Results[0].Id != id)
                    {
                        misses.Enqueue($"{id}: {string.Join(", ", reply.Results.Select(r => r.Id))}");
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    misses.Enqueue($"{id}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }, Ct);
        var created = new ConcurrentQueue<string>();
        var writing = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = $"new-{i}";
                await UpsertAsync(id, 1);
                created.Enqueue(id);
                if (i < 10)
                {
                    words.TryRemove($"doc-{40 + i}", out _);
                    await UpsertAsync($"doc-{40 + i}", 2);
                    await client.DeleteDocumentAsync($"doc-{50 + i}", 2, cancellationToken: Ct);
                }

                await Task.Delay(100, Ct);
            }
        }, Ct);

        var progress = new StringWriter();
        var took = System.Diagnostics.Stopwatch.StartNew();
        var report = await new ShardCountChange(scope.Connections(), scope.Keys, new IndexOptions(), TimeProvider.System, progress).RunAsync(to, Ct);
        took.Stop();
        await stop.CancelAsync();
        await Task.WhenAll(querying, writing);
        TestContext.Current.TestOutputHelper?.WriteLine($"{from} -> {to} shards in {took.Elapsed.TotalSeconds:0.0} s: {report}; {answered} queries answered during it, {misses.Count} missed; {created.Count} documents created, 10 replaced, 10 deleted during it");

        Assert.True(report.Finished, $"{report.Detail}\n{progress}");
        // doc-0..39 are only read, so the copy must write each; doc-40..59 reach the new layout through
        // the fleet's own writes first when it is quicker (a loaded machine): counted as already there.
        Assert.True(report.Copied >= 40, $"copied {report.Copied}\n{progress}");
        Assert.True(report.Copied + report.AlreadyThere + report.MovedOn >= initial.Length, $"{report.Summary}\n{progress}");
        var layout = await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys);
        Assert.Equal(new IndexLayout(1, to), layout.Current);
        Assert.Null(layout.Next);
        Assert.Null(layout.Retired);
        Assert.True(answered >= 20, $"only {answered} queries were answered during the change");
        Assert.True(misses.IsEmpty, $"{misses.Count} of {answered} queries during the change did not find their document first: {string.Join("; ", misses.Take(5))}");

        // Afterwards: every live document is found (new versions with their new words), deleted ones are not.
        var live = initial.Take(50).Concat(created).ToArray();
        await TestScope.EventuallyAsync(async () => (await Task.WhenAll(created.Select(id => index.GetStateAsync("default", id, Ct)))).All(s => s is not null), "every document written during the change is indexed");
        foreach (var id in live)
        {
            var reply = await client.QueryAsync(Words(id), new QueryOptions { K = 3 }, Ct);
            Assert.True(reply.Results.Count > 0 && reply.Results[0].Id == id, $"{id} is not found first after the change: {string.Join(", ", reply.Results.Select(r => r.Id))}");
        }

        for (var i = 50; i < 60; i++)
        {
            Assert.True((await index.GetStateAsync("default", $"doc-{i}", Ct))?.Deleted, $"doc-{i} is not a tombstone in the new layout");
        }

        // The new layout holds the documents, spread over its partitions; the old one's keys are gone (its fences stay).
        var newPartitions = new IndexLayout(1, to).PartitionsOf(scope.Keys, "default").ToArray();
        var sizes = await Task.WhenAll(newPartitions.Select(p => scope.Db.VectorSetLengthAsync(p.VectorSet)));
        Assert.Equal(live.Length, sizes.Sum());
        Assert.True(sizes.Count(s => s > 0) > 1, $"the documents did not spread: {string.Join(", ", sizes)}");
        foreach (var partition in oldPartitions)
        {
            Assert.False(await scope.Db.KeyExistsAsync(partition.VectorSet), $"{partition.VectorSet} is still there");
            Assert.False(await scope.Db.KeyExistsAsync(partition.Document("doc-0")), $"{partition.Document("doc-0")} is still there");
            Assert.True(await scope.Db.KeyExistsAsync(partition.Fence), $"{partition.Fence} is gone");
        }
    }

    [Fact]
    public async Task HostThatHasNotSeenTheChange_IsRefusedByTheFence_AndThenWritesBothLayouts()
    {
        await using var scope = new TestScope(redis);
        // A host whose view of the layout never expires by itself: only the fence can tell it.
        var stale = new IndexLayoutSource(scope.Connections(), scope.Keys, new FakeTimeProvider());
        var index = new VectorSetIndex(scope.Connections(), scope.Keys, Options.Create(new IndexOptions { Dimensions = 4 }), layouts: stale);
        IndexedDocument Doc(string id) => new("default", id, 1, $"h-{id}", "wiki", DateTimeOffset.UnixEpoch, [], null, [new IndexedChunk(0, $"text of {id}", new float[] { 1, 0, 0, 0 })]);
        await index.UpsertAsync(Doc("before"), Ct);
        Assert.Equal(0, (await index.GetLayoutAsync(Ct)).Number);

        // Another process begins a change to 3 shards and fences the old partition.
        var steady = await IndexLayoutStore.ReadAsync(scope.Db, scope.Keys);
        var changing = steady with { Number = 1, Next = new IndexLayout(1, 3) };
        Assert.True(await IndexLayoutStore.ReplaceAsync(scope.Db, scope.Keys, steady, changing));
        var old = steady.Current.PartitionOf(scope.Keys, "default", "after");
        await scope.Db.StringSetAsync(old.Fence, 1);

        Assert.Equal(IndexWriteResult.Applied, await index.UpsertAsync(Doc("after"), Ct));
        Assert.Equal(1, (await index.GetLayoutAsync(Ct)).Number);
        Assert.True(await scope.Db.KeyExistsAsync(old.Document("after")), "the write is not in the current layout");
        Assert.True(await scope.Db.KeyExistsAsync(changing.Next!.PartitionOf(scope.Keys, "default", "after").Document("after")), "the write is not in the next layout");
        Assert.False(await scope.Db.KeyExistsAsync(changing.Next.PartitionOf(scope.Keys, "default", "before").Document("before")), "only the change copies what was there before");

        // A change to another count is refused while this one runs; the one in progress then finishes.
        var change = new ShardCountChange(scope.Connections(), scope.Keys, new IndexOptions { Dimensions = 4 }, TimeProvider.System, TextWriter.Null) { Settle = TimeSpan.FromMilliseconds(100) };
        var refused = await Assert.ThrowsAsync<ShardCountChangeException>(() => change.RunAsync(5, Ct));
        Assert.Contains("run it again with 3", refused.Message, StringComparison.Ordinal);
        var report = await change.RunAsync(3, Ct);
        Assert.True(report.Finished, report.Detail);
        Assert.Equal(2, (await PartitionReads.DocumentStateAsync(scope.Db, new IndexLayout(1, 3).PartitionOf(scope.Keys, "default", "before"), "before") is null ? 0 : 1)
            + (await PartitionReads.DocumentStateAsync(scope.Db, new IndexLayout(1, 3).PartitionOf(scope.Keys, "default", "after"), "after") is null ? 0 : 1));
        // A host that reads the layout afresh searches the new partitions.
        var hits = await scope.Index(dimensions: 4).SearchAsync(new VectorQuery("default", new float[] { 1, 0, 0, 0 }, 5, StreamRag.Contracts.QueryFilters.None, null), Ct);
        Assert.Equal(["after", "before"], hits.Select(h => h.DocumentId).Order(StringComparer.Ordinal));
    }

    private static string Word(Random random) => new(Enumerable.Range(0, 7).Select(_ => (char)('a' + random.Next(26))).ToArray());
}
