using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Embedder;

/// <summary>
/// The settle step, with <c>Redis:WaitForReplicas</c>: what is acknowledged next must survive a
/// master's crash, so the batch waits for the masters of every key its writes touched to replicate
/// them. Too few confirmations throw a transient failure: the batch is held and written again.
/// </summary>
internal sealed class ReplicaSettle(IPartitionMetadata metadata, ReplicaAcknowledgement replicas, RedisConnections connections)
{
    public async Task WaitAsync(IReadOnlyCollection<ParsedEvent> events, CancellationToken cancellationToken)
    {
        if (!replicas.Enabled || events.Count == 0)
        {
            return;
        }

        var written = await metadata.WrittenKeysAsync(events.Select(e => (e.Event.Tenant, e.Event.Id)), cancellationToken);
        await replicas.WaitAsync(await connections.GetSharedAsync(), written);
    }
}
