using System.Globalization;
using System.IO.Hashing;
using System.Text;
using StackExchange.Redis;

namespace StreamRag.Redis;

/// <summary>
/// Every Redis key and channel name the fleet uses, in one place (documented in docs/keys.md).
/// Keys that one operation touches together share a hash tag, so the whole schema works on
/// Redis Cluster: a stream and its dead-letter stream (move + ack in one transaction), and a
/// partition's vector set, document hashes, expiry index and epoch (one atomic upsert script).
/// </summary>
public sealed class KeySchema
{
    /// <summary>Most partitions of an input stream (<c>Streams:Partitions</c>).</summary>
    public const int MaxStreamPartitions = 64;

    /// <summary>Field of the index manifest that records the number of stream partitions.</summary>
    public const string StreamPartitionsManifestField = "stream_partitions";

    public KeySchema(string prefix, int shards, int streamPartitions = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(streamPartitions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(streamPartitions, MaxStreamPartitions);
        Prefix = prefix;
        Shards = shards;
        StreamPartitions = streamPartitions;
        DocumentEventStreams = Enumerable.Range(0, streamPartitions)
            .Select(p => new StreamPartition(p, $"{Prefix}:{{{StreamTag("docs", p)}}}:events", $"{Prefix}:{{{StreamTag("docs", p)}}}:dead")).ToArray();
        QueryRequestStreams = Enumerable.Range(0, streamPartitions)
            .Select(p => new StreamPartition(p, $"{Prefix}:{{{StreamTag("queries", p)}}}:requests", $"{Prefix}:{{{StreamTag("queries", p)}}}:dead")).ToArray();
    }

    public KeySchema(RedisOptions options, StreamOptions? streams = null)
        : this(options.KeyPrefix, options.Shards, streams?.Partitions ?? 1)
    {
    }

    public string Prefix { get; }

    public int Shards { get; }

    /// <summary>Partitions of the document-events and query-request streams (<c>Streams:Partitions</c>).</summary>
    public int StreamPartitions { get; }

    /// <summary>
    /// The partitions of the document-events stream (change events from upstream systems), each with
    /// its dead-letter stream. One partition keeps the unpartitioned names.
    /// </summary>
    public IReadOnlyList<StreamPartition> DocumentEventStreams { get; }

    /// <summary>The partitions of the query-request stream, each with its dead-letter stream.</summary>
    public IReadOnlyList<StreamPartition> QueryRequestStreams { get; }

    /// <summary>The document-events stream when it is not partitioned.</summary>
    /// <exception cref="InvalidOperationException">The stream is partitioned: use <see cref="DocumentEventsOf"/>.</exception>
    public RedisKey DocumentEvents => Unpartitioned(DocumentEventStreams).Stream;

    /// <summary>The dead letters of the document-events stream when it is not partitioned.</summary>
    public RedisKey DocumentDeadLetters => Unpartitioned(DocumentEventStreams).DeadLetters;

    /// <summary>The query-request stream when it is not partitioned.</summary>
    /// <exception cref="InvalidOperationException">The stream is partitioned: use <see cref="QueryRequestStreams"/>.</exception>
    public RedisKey QueryRequests => Unpartitioned(QueryRequestStreams).Stream;

    /// <summary>The dead letters of the query-request stream when it is not partitioned.</summary>
    public RedisKey QueryDeadLetters => Unpartitioned(QueryRequestStreams).DeadLetters;

    /// <summary>The document-events stream partition a document's events go to, so they stay in order.</summary>
    public RedisKey DocumentEventsOf(string tenant, string documentId) =>
        DocumentEventStreams[StreamPartitionOf(tenant, documentId, StreamPartitions)].Stream;

    /// <summary>
    /// The stream partition of a document (docs/contract.md, "Stream partitions"): CRC-32 (IEEE
    /// 802.3, as zlib's <c>crc32</c>) of the UTF-8 bytes of <c>tenant + "\n" + id</c>, modulo the
    /// number of partitions. The tenant is the effective one (<c>default</c> when the event has none).
    /// </summary>
    public static int StreamPartitionOf(string tenant, string documentId, int partitions)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(documentId);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return partitions == 1 ? 0 : (int)(Crc32.HashToUInt32(Encoding.UTF8.GetBytes($"{tenant}\n{documentId}")) % (uint)partitions);
    }

    /// <summary>
    /// The hash tag of a stream partition: the bare name (<c>docs</c>) for one partition, so version 1
    /// producers keep working; <c>docs.p0</c>, <c>docs.p1</c>, … otherwise. (With redis-cli's even slot
    /// allocation, partitions 0 to 2 of each stream land on three different masters of a 3-master cluster.)
    /// </summary>
    private string StreamTag(string name, int partition) =>
        StreamPartitions == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}.p{partition}");

    private static StreamPartition Unpartitioned(IReadOnlyList<StreamPartition> partitions) =>
        partitions.Count == 1
            ? partitions[0]
            : throw new InvalidOperationException($"the stream is split into {partitions.Count} partitions (Streams:Partitions): pick one");

    /// <summary>Set of every tenant that has had a document indexed (the sweeper and monitor walk it).</summary>
    public RedisKey Tenants => $"{Prefix}:tenants";

    /// <summary>
    /// Hash recording what the index is, whichever engine runs it: its engine, embedding model and
    /// dimension, and who created it when (the index manifest). The first host writes it; the others
    /// adopt it or refuse to start.
    /// </summary>
    public RedisKey IndexManifest => $"{Prefix}:manifest";

    /// <summary>Hash of live-tunable settings (e.g. <c>search_ef</c>, written by the monitor, read by query workers).</summary>
    public RedisKey Settings => $"{Prefix}:settings";

    /// <summary>Per-query timings written by query workers and consumed by the monitor (bounded length).</summary>
    public RedisKey QueryMetrics => $"{Prefix}:{{metrics}}:queries";

    /// <summary>Alerts stream (fired and resolved), for operators and audit.</summary>
    public RedisKey Alerts => $"{Prefix}:{{alerts}}:stream";

    /// <summary>Pub/sub channel alerts are also published on.</summary>
    public RedisChannel AlertsChannel => RedisChannel.Literal($"{Prefix}:alerts");

    /// <summary>Audit stream of documents deleted by the retention sweeper.</summary>
    public RedisKey DocumentDeletions => $"{Prefix}:{{docs}}:deleted";

    /// <summary>Hash of alert states (firing/resolved, since, cooldown), beside the alerts stream so a transition and its entry are one atomic script.</summary>
    public RedisKey AlertStates => $"{Prefix}:{{alerts}}:state";

    /// <summary>Hash the monitor refreshes every evaluation: its counters and the current window figures.</summary>
    public RedisKey MonitorStatus => $"{Prefix}:monitor:status";

    /// <summary>
    /// Hash the <c>streamrag ingest</c> command keeps per tenant: document id → what it last posted
    /// (file digest, version, the index's content hash), so a re-run skips unchanged files.
    /// </summary>
    public RedisKey IngestLedger(string tenant) => $"{Prefix}:ingested:{tenant}";

    /// <summary>Consumer-group name of the monitor on the query-metrics stream.</summary>
    public string MonitorGroup => "monitors";

    /// <summary>Consumer-group name of the embedders.</summary>
    public string EmbedderGroup => "embedders";

    /// <summary>Consumer-group name of the query workers.</summary>
    public string QueryGroup => "query-workers";

    /// <summary>Default reply channel namespace for clients that do not pick their own.</summary>
    public RedisChannel ReplyChannel(string clientId) => RedisChannel.Literal($"{Prefix}:reply:{clientId}");

    /// <summary>
    /// The reply channels of one tenant start with this (<c>{prefix}:reply:&lt;tenant&gt;:</c>): with tokens
    /// required, a request's <c>reply_to</c> must, and a per-tenant ACL user may subscribe only here.
    /// </summary>
    public string TenantReplyPrefix(string tenant) => $"{ReplyPrefix}{tenant}:";

    /// <summary>Every reply channel of the fleet starts with this (<c>{prefix}:reply:</c>); the ACL file lets query workers publish only here.</summary>
    public string ReplyPrefix => $"{Prefix}:reply:";

    /// <summary>A client's reply channel for its queries in <paramref name="tenant"/>.</summary>
    public RedisChannel TenantReplyChannel(string tenant, string clientId) => RedisChannel.Literal(TenantReplyPrefix(tenant) + clientId);

    /// <summary>
    /// Key prefix of the chunk hashes the Query Engine engine writes; its FT index covers exactly
    /// the keys that start with it (FT.CREATE … PREFIX 1 this).
    /// </summary>
    public string ChunkPrefix => $"{Prefix}:chunk:";

    /// <summary>The FT index alias the Query Engine engine searches; it points at the current physical index.</summary>
    public string SearchIndexAlias => $"{Prefix}:idx";

    /// <summary>The partition (tenant, shard) that holds a document under the configured shard count (an index never re-sharded).</summary>
    public IndexPartition PartitionOf(string tenant, string documentId) => Partition(tenant, ShardOf(documentId, Shards));

    /// <summary>A document's shard among <paramref name="shards"/>: XxHash32 of its id's UTF-8 bytes, modulo the count (docs/keys.md).</summary>
    public static int ShardOf(string documentId, int shards) =>
        shards == 1 ? 0 : (int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(documentId)) % (uint)shards);

    /// <param name="generation">The layout generation that names the keys: 0 for an index never re-sharded.</param>
    public IndexPartition Partition(string tenant, int shard, int generation = 0) => new(Prefix, tenant, shard, generation);

    public IEnumerable<IndexPartition> PartitionsOf(string tenant) => Enumerable.Range(0, Shards).Select(s => Partition(tenant, s));

    /// <summary>
    /// A tenant's watches (standing queries): a vector set of their query vectors, one element per watch
    /// id, with the watch's filters, threshold, expiry and notification stream as attributes. Its hash
    /// tag <c>{tenant.w}</c> puts each tenant's watches in a slot of their own, as the index's
    /// <c>{tenant.shard}</c> does (a shard is a number, so the two never collide).
    /// </summary>
    public RedisKey WatchSet(string tenant) => $"{Prefix}:{{{tenant}.w}}:watches";

    /// <summary>Sorted set of a tenant's watch ids scored by expiry (Unix ms), beside <see cref="WatchSet"/> so one script changes both.</summary>
    public RedisKey WatchExpiry(string tenant) => $"{Prefix}:{{{tenant}.w}}:watch-expiry";

    /// <summary>Sorted set of a tenant's watch ids scored by threshold: its lowest bounds the match's VSIM (EPSILON).</summary>
    public RedisKey WatchThresholds(string tenant) => $"{Prefix}:{{{tenant}.w}}:watch-thresholds";

    /// <summary>Set of the tenants that have (or had) watches: the sweeper and the total limit walk it.</summary>
    public RedisKey WatchTenants => $"{Prefix}:watch-tenants";

    /// <summary>The namespace of the streams watches notify (<c>notify_to</c> must start with it).</summary>
    public string WatchStreamPrefix => $"{Prefix}:watch:";

    /// <summary>
    /// The notification streams of one tenant start with this (<c>{prefix}:watch:&lt;tenant&gt;:</c>): with
    /// tokens required, a watch's <c>notify_to</c> must, and a per-tenant ACL user may read only here.
    /// </summary>
    public string TenantWatchStreamPrefix(string tenant) => $"{WatchStreamPrefix}{tenant}:";

    /// <summary>
    /// Hash of the notifications already appended to <paramref name="notifyTo"/> (one field per watch,
    /// document, version and passage, each expiring by itself), so a redelivered event notifies once.
    /// Its hash tag is the whole stream name, so it shares the stream's slot and one script checks and appends.
    /// </summary>
    public RedisKey WatchNotified(string notifyTo) => $"{Prefix}:watch-seen:{{{notifyTo}}}";
}
