using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The index engine over Redis 8 vector sets. Per partition (tenant, shard): one vector set whose
/// elements are chunks named <c>docId#chunk</c> with JSON attributes for filtering, one hash per
/// document (version, content hash, metadata, chunk texts), an expiry index and an epoch counter.
/// Writes run as Lua scripts, so a document's chunks, metadata, expiry entry and the epoch change
/// together or not at all. Searches run VSIM outside scripts, so Redis runs them on its threads.
/// </summary>
public sealed partial class VectorSetIndex(RedisConnections connections, KeySchema keys, IOptions<IndexOptions> options, ILogger<VectorSetIndex>? logger = null) : IVectorIndex
{
    // Every write script keeps the partition's count of linked copies: they share its functions.
    private static readonly string UpsertScript = ReadScript("copies.lua") + ReadScript("upsert.lua");
    private static readonly string DeleteScript = ReadScript("copies.lua") + ReadScript("delete.lua");
    private static readonly string ExpireScript = ReadScript("copies.lua") + ReadScript("expire.lua");

    private readonly IndexOptions settings = options.Value;

    public int Dimensions => settings.Dimensions;

    public async Task<DocumentState?> GetStateAsync(string tenant, string documentId, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync();
        return await PartitionReads.DocumentStateAsync(db, keys, tenant, documentId);
    }

    public async Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var chunks = document.Chunks;
        document.EnsureDimensions(settings.Dimensions);

        var partition = keys.PartitionOf(document.Tenant, document.Id);
        var args = new List<RedisValue>(14 + (3 * (chunks?.Count ?? 0)))
        {
            document.Id,
            document.Version,
            document.ContentHash,
            document.Source,
            document.Timestamp.ToUnixTimeMilliseconds(),
            string.Join(',', document.Tags),
            document.ExpiresAt is { } expires ? expires.ToUnixTimeMilliseconds() : "",
            Attributes(document),
            chunks is null ? "0" : "1",
            settings.Quantization,
            settings.EfConstruction,
            settings.M,
            chunks?.Count ?? 0,
            settings.MaxDuplicatePassages,
        };
        if (chunks is not null)
        {
            foreach (var chunk in chunks.OrderBy(c => c.Index))
            {
                var blob = MemoryMarshal.AsBytes(chunk.Vector.Span).ToArray();
                args.Add(blob);
                args.Add(chunk.Text);
                // Identical vectors have identical fingerprints: how the script tells copies from passages that merely score alike.
                args.Add(Convert.ToHexStringLower(XxHash3.Hash(blob)));
            }
        }

        var db = await DatabaseAsync();
        // Registered first (idempotent), so no indexed document belongs to an unknown tenant.
        await db.SetAddAsync(keys.Tenants, document.Tenant);
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(UpsertScript, PartitionKeys(partition, document.Id), args.ToArray()))!;
        var code = (int)result[0];
        if (code == 1 && chunks is not null && (int)result[1] is > 0 and var unlinked)
        {
            Log.PassagesUnlinked(logger ?? NullLogger<VectorSetIndex>.Instance, document.Tenant, document.Id, document.Version, unlinked, chunks.Count, settings.MaxDuplicatePassages);
        }

        return code switch
        {
            1 => IndexWriteResult.Applied,
            0 => IndexWriteResult.Stale,
            _ => IndexWriteResult.ContentChanged,
        };
    }

    public async Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken)
    {
        var partition = keys.PartitionOf(tenant, documentId);
        var db = await DatabaseAsync();
        var result = (int)await db.ScriptEvaluateAsync(DeleteScript, PartitionKeys(partition, documentId),
            [documentId, version, (long)settings.TombstoneRetention.TotalMilliseconds]);
        return result == 1 ? IndexWriteResult.Applied : IndexWriteResult.Stale;
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Vector.Length != settings.Dimensions)
        {
            throw new DimensionMismatchException(settings.Dimensions, query.Vector.Length);
        }

        var filter = VectorSetFilter.Build(query.Filters);
        var partitions = keys.PartitionsOf(query.Tenant).ToArray();
        var searches = new Task<(string Member, double Score)[]>[partitions.Length];
        for (var i = 0; i < partitions.Length; i++)
        {
            searches[i] = SearchPartitionAsync(await connections.GetSearchDatabaseAsync(), partitions[i], query, filter);
        }

        var found = (await Task.WhenAll(searches)).SelectMany(x => x)
            .OrderByDescending(h => h.Score)
            .Take(query.K)
            .ToArray();
        return await HydrateAsync(await DatabaseAsync(), query.Tenant, found);
    }

    public async Task<long> GetEpochAsync(string tenant, CancellationToken cancellationToken) =>
        await PartitionReads.EpochAsync(await DatabaseAsync(), keys, tenant);

    public async Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken) =>
        await PartitionReads.TenantsAsync(await DatabaseAsync(), keys);

    public async Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await PartitionReads.DueForExpiryAsync(await DatabaseAsync(), keys, tenant, now, limit);

    public async Task<bool> ExpireAsync(string tenant, string documentId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync();
        var expired = await ExpirePartitionAsync(db, tenant, keys.PartitionOf(tenant, documentId), [new ExpiringDocument(documentId, expiresAt)], null);
        return expired.Count == 1;
    }

    public async Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        if (due.Count == 0)
        {
            return [];
        }

        var db = await DatabaseAsync();
        // One script per partition (its keys share a hash slot); partitions run side by side.
        var batches = due.GroupBy(d => keys.PartitionOf(tenant, d.Id))
            .Select(g => ExpirePartitionAsync(db, tenant, g.Key, g.ToArray(), deletedAt));
        return (await Task.WhenAll(batches)).SelectMany(x => x).ToArray();
    }

    public async Task<IReadOnlyList<ExpiredDocument>> PendingDeletionRecordsAsync(string tenant, int limit, CancellationToken cancellationToken) =>
        await DeletionOutbox.PendingAsync(await DatabaseAsync(), keys, tenant, limit);

    public async Task<long> AcknowledgeDeletionRecordsAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken) =>
        await DeletionOutbox.AcknowledgeAsync(await DatabaseAsync(), keys, records);

    private async Task<IReadOnlyList<ExpiredDocument>> ExpirePartitionAsync(IDatabase db, string tenant, IndexPartition partition, ExpiringDocument[] due, DateTimeOffset? deletedAt)
    {
        var keyList = new RedisKey[5 + due.Length];
        keyList[0] = partition.VectorSet;
        keyList[1] = partition.ExpiryIndex;
        keyList[2] = partition.Epoch;
        keyList[3] = partition.DeletionOutbox;
        keyList[4] = partition.LinkedCopies;
        var args = new RedisValue[2 + (2 * due.Length)];
        args[0] = (long)settings.TombstoneRetention.TotalMilliseconds;
        args[1] = deletedAt is { } at ? at.ToUnixTimeMilliseconds() : "";
        for (var i = 0; i < due.Length; i++)
        {
            keyList[5 + i] = partition.Document(due[i].Id);
            args[2 + (2 * i)] = due[i].Id;
            args[3 + (2 * i)] = due[i].ExpiresAt.ToUnixTimeMilliseconds();
        }

        var result = (RedisResult[])(await db.ScriptEvaluateAsync(ExpireScript, keyList, args))!;
        var expired = new ExpiredDocument[result.Length / 6];
        for (var i = 0; i < expired.Length; i++)
        {
            var r = result.AsSpan(i * 6, 6);
            expired[i] = new ExpiredDocument(
                tenant,
                (string)r[0]!,
                (long)r[1],
                (string?)r[2] ?? "",
                DateTimeOffset.FromUnixTimeMilliseconds((long)r[3]),
                DateTimeOffset.FromUnixTimeMilliseconds((long)r[4]),
                (string)r[5]!);
        }

        return expired;
    }

    public async Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        var tenants = await ListTenantsAsync(cancellationToken);
        var db = await DatabaseAsync();
        var sets = tenants.SelectMany(keys.PartitionsOf).Select(p => p.VectorSet).ToArray();
        var sizes = await Task.WhenAll(sets.Select(k => db.VectorSetLengthAsync(k)));
        var memory = await Task.WhenAll(sets.Select(k => db.ExecuteAsync("MEMORY", "USAGE", k, "SAMPLES", "0")));
        return new IndexStats(tenants.Count, sizes.Sum(), memory.Sum(m => m.IsNull ? 0 : (long)m));
    }

    private async Task<(string Member, double Score)[]> SearchPartitionAsync(IDatabase db, IndexPartition partition, VectorQuery query, string? filter)
    {
        var request = VectorSetSimilaritySearchRequest.ByVector(query.Vector);
        request.Count = query.K;
        request.WithScores = true;
        request.SearchExplorationFactor = query.Ef ?? settings.DefaultEf;
        request.UseExactSearch = query.Exact;
        if (filter is not null)
        {
            request.FilterExpression = filter;
        }

        using var lease = await db.VectorSetSimilaritySearchAsync(partition.VectorSet, request);
        if (lease is null)
        {
            return [];
        }

        var hits = new (string, double)[lease.Length];
        var span = lease.Span;
        for (var i = 0; i < span.Length; i++)
        {
            hits[i] = ((string)span[i].Member!, span[i].Score);
        }

        return hits;
    }

    /// <summary>Reads chunk texts and metadata of the hits from their document hashes, in one pipelined round trip.</summary>
    private async Task<IReadOnlyList<SearchHit>> HydrateAsync(IDatabase db, string tenant, (string Member, double Score)[] found)
    {
        var reads = new Task<RedisValue[]>[found.Length];
        var parsed = new (string Doc, int Chunk)[found.Length];
        for (var i = 0; i < found.Length; i++)
        {
            var member = found[i].Member;
            var hash = member.LastIndexOf('#');
            var doc = member[..hash];
            var chunk = int.Parse(member.AsSpan(hash + 1), CultureInfo.InvariantCulture);
            parsed[i] = (doc, chunk);
            reads[i] = db.HashGetAsync(keys.PartitionOf(tenant, doc).Document(doc), [$"c:{chunk}", "source", "ts", "tags"]);
        }

        var hits = new List<SearchHit>(found.Length);
        for (var i = 0; i < found.Length; i++)
        {
            var values = await reads[i];
            if (values[0].IsNull)
            {
                // Replaced or deleted between the search and this read: the element is gone too.
                continue;
            }

            var tags = (string?)values[3];
            hits.Add(new SearchHit(
                parsed[i].Doc,
                parsed[i].Chunk,
                found[i].Score,
                (string)values[0]!,
                (string?)values[1] ?? "",
                DateTimeOffset.FromUnixTimeMilliseconds((long)values[2]),
                string.IsNullOrEmpty(tags) ? [] : tags.Split(',')));
        }

        return hits;
    }

    private static RedisKey[] PartitionKeys(IndexPartition partition, string documentId) =>
        [partition.VectorSet, partition.Document(documentId), partition.ExpiryIndex, partition.Epoch, partition.LinkedCopies];

    private static string Attributes(IndexedDocument document)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("source", document.Source);
            writer.WriteNumber("ts", document.Timestamp.ToUnixTimeMilliseconds());
            writer.WriteStartArray("tags");
            foreach (var tag in document.Tags)
            {
                writer.WriteStringValue(tag);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async Task<IDatabase> DatabaseAsync() => (await connections.GetSharedAsync()).GetDatabase();

    private static string ReadScript(string name)
    {
        using var stream = typeof(VectorSetIndex).Assembly.GetManifestResourceStream($"StreamRag.Index.Scripts.{name}")
            ?? throw new InvalidOperationException($"embedded script {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static partial class Log
    {
        [LoggerMessage(1400, LogLevel.Warning, "Document {Id} v{Version} of tenant {Tenant}: {Unlinked} of its {Passages} passages were left out of the vector graph, which already links {MaxDuplicates} (nearly) identical passages of other documents (Index:MaxDuplicatePassages); they are stored but not searchable")]
        public static partial void PassagesUnlinked(ILogger logger, string tenant, string id, long version, int unlinked, int passages, int maxDuplicates);
    }
}
