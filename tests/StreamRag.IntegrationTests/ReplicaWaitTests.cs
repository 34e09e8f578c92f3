using Microsoft.Extensions.Logging;
using StreamRag.Client;
using StreamRag.Redis;

namespace StreamRag.IntegrationTests;

/// <summary>
/// <c>Redis:WaitForReplicas</c> (issue 14): acknowledged work waits for replicas. The shared single
/// server has none, so nothing can be confirmed there: the client call throws and the embedder holds
/// its events unacknowledged. On the cluster stage (one replica per master) both go through.
/// </summary>
public sealed class ReplicaWaitTests(RedisServerFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>ConsumerLog's event: a batch hit a transient failure and is held for a retry.</summary>
    private const int TransientHold = 1004;

    [Fact]
    public async Task WithoutReplicas_ClientThrowsTransient_AndEmbedderHoldsTheEventsUnacknowledged()
    {
        if (redis.IsCluster)
        {
            Assert.Skip("needs a server without replicas");
        }

        await using var scope = new TestScope(redis);
        await using var client = new StreamRagClient(redis.Connection, scope.Keys, replicas: new ReplicaAcknowledgement(1, TimeSpan.FromMilliseconds(50)));
        var error = await Assert.ThrowsAsync<ReplicasNotAcknowledgedException>(() => client.UpsertDocumentAsync(new DocumentUpsert("doc-1", 1, "honeybees"), Ct));
        Assert.StartsWith("NOREPLICAS 0 of 1 replica(s)", error.Message, StringComparison.Ordinal);
        Assert.True(RedisErrors.IsTransient(error));
        // The event is in the stream all the same: the caller cannot know whether it survives a failover.
        Assert.Equal(1, await scope.Db.StreamLengthAsync(scope.Keys.DocumentEvents));

        var log = new LogCapture();
        await scope.StartAsync(b =>
        {
            Embedder.EmbedderExtensions.AddEmbedderWorker(b);
            b.Logging.AddProvider(log);
        }, ("Redis:WaitForReplicas", "1"), ("Redis:WaitTimeout", "00:00:00.050"));

        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => await index.GetStateAsync("default", "doc-1", Ct) is not null, "the embedder writes the document");
        // Several retries of the batch, each held as a transient failure (ConsumerLog 1004), not counted as an attempt.
        await TestScope.EventuallyAsync(() => Task.FromResult(log.Of(TransientHold).Count >= 3), "the batch is held and retried three times");
        var pending = await scope.Db.StreamPendingAsync(scope.Keys.DocumentEvents, scope.Keys.EmbedderGroup);
        Assert.Equal(1, pending.PendingMessageCount);
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
    }

    [Fact]
    [ClusterOnly]
    public async Task WithAReplicaPerMaster_WaitingFleetIngestsAndAcknowledges()
    {
        redis.RequireCluster();
        await using var scope = new TestScope(redis, 3);
        await scope.StartEmbedderAsync(("Redis:WaitForReplicas", "1"));
        await using var client = new StreamRagClient(redis.Connection, scope.Keys, replicas: new ReplicaAcknowledgement(1, TimeSpan.FromSeconds(2)));
        var ids = Enumerable.Range(0, 12).Select(i => $"doc-{i}").ToArray();
        foreach (var id in ids)
        {
            await client.UpsertDocumentAsync(new DocumentUpsert(id, 1, $"honeybees {id}"), Ct);
        }

        var index = scope.Index();
        await TestScope.EventuallyAsync(async () => (await Task.WhenAll(ids.Select(id => index.GetStateAsync("default", id, Ct)))).All(s => s is not null), "every document is indexed");
        foreach (var p in scope.Keys.DocumentEventStreams)
        {
            await TestScope.EventuallyAsync(async () => (await scope.Db.StreamPendingAsync(p.Stream, scope.Keys.EmbedderGroup)).PendingMessageCount == 0, $"{p.Stream} is acknowledged");
        }
    }
}
