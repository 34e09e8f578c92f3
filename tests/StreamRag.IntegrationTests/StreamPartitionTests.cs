using StreamRag.Client;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests;

/// <summary>
/// Partitioned input streams (<c>Streams:Partitions</c>, issue 14): the .NET client writes each
/// document to its partition and queries to every partition; embedders and query workers consume
/// all of them, with dead letters and reclaiming per partition; every host and client of an index
/// agrees on the number. On the cluster stage the partitions also land on different masters.
/// </summary>
[ClusterScenario]
public sealed class StreamPartitionTests(RedisServerFixture redis)
{
    private const int Partitions = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Client_WritesEachDocumentToItsPartition_WorkersConsumeEveryPartition()
    {
        await using var scope = new TestScope(redis, Partitions);
        // Kept untrimmed, so the test can read every event back from its partition.
        await scope.StartEmbedderAsync(("Consumer:TrimAcknowledged", "false"));
        await scope.StartQueryWorkerAsync();
        await using var client = new StreamRagClient(redis.Connection, scope.Keys);
        var ids = Enumerable.Range(0, 24).Select(i => $"doc-{i}").ToArray();

        // Three versions of each document, then a delete of every fourth: per document, in order.
        for (var version = 1; version <= 3; version++)
        {
            foreach (var id in ids)
            {
                await client.UpsertDocumentAsync(new DocumentUpsert(id, version, $"honeybees gather pollen, note {id} version {version}") { Source = "wiki" }, Ct);
            }
        }

        var deleted = ids.Where((_, i) => i % 4 == 0).ToArray();
        foreach (var id in deleted)
        {
            await client.DeleteDocumentAsync(id, 4, cancellationToken: Ct);
        }

        var index = scope.Index();
        await TestScope.EventuallyAsync(
            async () => (await Task.WhenAll(ids.Select(async id => (id, state: await index.GetStateAsync("default", id, Ct)))))
                .All(d => d.state is { } state && (deleted.Contains(d.id) ? state.Deleted : state.Version == 3)),
            "every document is at its last version");

        // Every event of a document is in its own partition's stream, in the order it was written.
        foreach (var p in scope.Keys.DocumentEventStreams)
        {
            var entries = await scope.Db.StreamRangeAsync(p.Stream);
            var mine = ids.Where(id => KeySchema.StreamPartitionOf("default", id, Partitions) == p.Number).ToHashSet(StringComparer.Ordinal);
            Assert.NotEmpty(mine);
            Assert.All(entries, e => Assert.Contains((string)e["id"]!, mine));
            foreach (var group in entries.GroupBy(e => (string)e["id"]!))
            {
                var versions = group.Select(e => (long)e["version"]).ToArray();
                Assert.Equal(versions.Order(), versions);
                Assert.Equal(deleted.Contains(group.Key) ? 4 : 3, versions.Length);
            }
        }

        // Queries go to the partitions in turn; each is answered. One posting each (no re-post of a
        // slow reply), since the entries each partition's group read are counted below.
        var live = ids.Except(deleted).Order(StringComparer.Ordinal).ToArray();
        for (var i = 0; i < Partitions * 2; i++)
        {
            var reply = await client.QueryAsync("honeybees pollen", new QueryOptions { K = ids.Length, Timeout = TimeSpan.FromSeconds(20), MaxAttempts = 1 }, Ct);
            Assert.Equal(live, reply.Results.Select(r => r.Id).Order(StringComparer.Ordinal));
        }

        foreach (var p in scope.Keys.QueryRequestStreams)
        {
            var group = (await scope.Db.StreamGroupInfoAsync(p.Stream)).Single(g => g.Name == scope.Keys.QueryGroup);
            Assert.Equal(2, group.EntriesRead);
            Assert.Equal(0, group.PendingMessageCount);
        }

        if (redis.IsCluster)
        {
            foreach (var streams in new[] { scope.Keys.DocumentEventStreams, scope.Keys.QueryRequestStreams })
            {
                var masters = await Task.WhenAll(streams.Select(async p => redis.Connection.GetServer((await scope.Db.IdentifyEndpointAsync(p.Stream))!)));
                Assert.All(masters, m => Assert.False(m.IsReplica));
                Assert.Equal(Partitions, masters.Select(m => m.EndPoint.ToString()).Distinct().Count());
            }
        }
    }

    [Fact]
    public async Task BadEntry_IsDeadLetteredBesideItsOwnPartition()
    {
        await using var scope = new TestScope(redis, Partitions);
        await scope.StartEmbedderAsync();
        var target = scope.Keys.DocumentEventStreams[2];

        await scope.Db.StreamAddAsync(target.Stream, [new("op", "upsert"), new("id", "bad#id"), new("version", 1), new("content", "x")]);

        await TestScope.EventuallyAsync(async () => await scope.Db.StreamLengthAsync(target.DeadLetters) == 1, "the bad event is dead-lettered");
        var dead = (await scope.Db.StreamRangeAsync(target.DeadLetters)).Single();
        Assert.StartsWith("invalid_field", (string?)dead[DeadLetterFields.Reason], StringComparison.Ordinal);
        foreach (var other in scope.Keys.DocumentEventStreams.Where(p => p.Number != target.Number))
        {
            Assert.Equal(0, await scope.Db.StreamLengthAsync(other.DeadLetters));
        }
    }

    [Fact]
    public async Task EntryLeftByADeadConsumer_IsReclaimedInItsPartition()
    {
        await using var scope = new TestScope(redis, Partitions);
        var id = Enumerable.Range(0, 50).Select(i => $"doc-{i}").First(d => KeySchema.StreamPartitionOf("default", d, Partitions) == 1);
        var partition = scope.Keys.DocumentEventStreams[1];
        await scope.Db.StreamCreateConsumerGroupAsync(partition.Stream, scope.Keys.EmbedderGroup, "0-0", createStream: true);
        await using (var client = new StreamRagClient(redis.Connection, scope.Keys))
        {
            await client.UpsertDocumentAsync(new DocumentUpsert(id, 1, "left behind by a crashed embedder"), Ct);
        }

        // A consumer takes the entry and dies without acknowledging it.
        var taken = await scope.Db.StreamReadGroupAsync(partition.Stream, scope.Keys.EmbedderGroup, "crashed", ">", 10);
        Assert.Single(taken);

        await scope.StartEmbedderAsync();

        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", id, Ct) is not null, "the abandoned event is reclaimed and indexed");
        await TestScope.EventuallyAsync(async () => (await scope.Db.StreamPendingAsync(partition.Stream, scope.Keys.EmbedderGroup)).PendingMessageCount == 0, "the reclaimed entry is acknowledged");
    }

    [Fact]
    public async Task HostOrClient_WithAnotherNumberOfPartitions_Refuses()
    {
        await using var scope = new TestScope(redis, Partitions);
        await scope.StartEmbedderAsync();
        Assert.Equal(Partitions, (await IndexManifestStore.ReadAsync(scope.Db, scope.Keys))!.StreamPartitions);

        var error = await Assert.ThrowsAsync<IndexManifestConflictException>(() => scope.StartQueryWorkerAsync(("Streams:Partitions", "1")));
        Assert.StartsWith($"Streams:Partitions=1 but the index under prefix '{scope.Prefix}' splits its input streams into {Partitions} partition(s)", error.Message, StringComparison.Ordinal);

        await using var client = new StreamRagClient(redis.Connection, new KeySchema(scope.Prefix, scope.Keys.Shards, 1));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => client.UpsertDocumentAsync(new DocumentUpsert("doc-1", 1, "text"), Ct));
        Assert.Contains($"Configure Streams:Partitions={Partitions}", refused.Message, StringComparison.Ordinal);
        Assert.False(await scope.Db.KeyExistsAsync(new KeySchema(scope.Prefix, 1).DocumentEvents));
    }

    [Fact]
    public async Task OnePartition_VersionOneProducerWritingTheUnpartitionedName_IsConsumed()
    {
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();

        await scope.Db.StreamAddAsync($"{scope.Prefix}:{{docs}}:events", [new("op", "upsert"), new("id", "legacy"), new("version", 1), new("content", "written by a version 1 producer")]);

        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", "legacy", Ct) is not null, "the event on the unpartitioned stream is indexed");
        Assert.Equal(1, (await IndexManifestStore.ReadAsync(scope.Db, scope.Keys))!.StreamPartitions);
    }
}
