using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NRedisStack;
using StackExchange.Redis;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Index.Search;

/// <summary>
/// The index engine over the Redis Query Engine (FT.*): Redis Stack, Redis 8 with the Query Engine,
/// Redis Cloud, Azure Managed Redis. Each chunk is a hash under <see cref="KeySchema.ChunkPrefix"/>
/// (vector, text, source, tags, tenant, timestamp) that one FT index covers; the document hash, the
/// expiry index, the epoch and the tenant set are the same keys, with the same fields, as the
/// vector-set engine writes, so the sweeper and every other reader work unchanged. Writes run as Lua
/// scripts over the partition's keys (chunk hashes share the partition's hash tag), so a document's
/// chunks and metadata change together. Searches run FT.SEARCH: KNN with the filters as pre-filter,
/// optionally fused with a full-text search of the question (SearchVectorIndex.Search.cs).
/// </summary>
public sealed partial class SearchVectorIndex : IVectorIndex, IDisposable
{
    // The engine-independent metadata functions first, then what this engine does per chunk hash.
    private static readonly string UpsertScript = PartitionScripts.Metadata + LuaScripts.Read(typeof(SearchVectorIndex), "upsert.lua");
    private static readonly string DeleteScript = PartitionScripts.Metadata + LuaScripts.Read(typeof(SearchVectorIndex), "delete.lua");
    private static readonly string ExpireScript = PartitionScripts.Metadata + LuaScripts.Read(typeof(SearchVectorIndex), "expire.lua");

    private static readonly TimeSpan BuildLogInterval = TimeSpan.FromSeconds(10);

    /// <summary>Rereads of the chunk count when a document grew between reading it and writing it.</summary>
    private const int MaxKeyRetries = 5;

    private readonly RedisConnections connections;
    private readonly KeySchema keys;
    private readonly IndexOptions settings;
    private readonly SearchIndexOptions search;
    private readonly ILogger<SearchVectorIndex> logger;
    private readonly SearchIndexAdmin admin;
    private readonly TimeProvider time;
    private readonly Task<IndexLayoutState> layout;
    private readonly SemaphoreSlim ensureLock = new(1, 1);
    private volatile SearchIndexStatus? ensured;
    private volatile bool serverFusion;
    private volatile StatusSnapshot? last;
    private int refreshing;

    /// <param name="meterFactory">When given, the index statistics are exported as gauges (<see cref="SearchIndexMetrics"/>).</param>
    /// <param name="searchOptions">This engine's own settings (<c>Index:Search</c>); the defaults when not given.</param>
    public SearchVectorIndex(
        RedisConnections connections,
        KeySchema keys,
        IOptions<IndexOptions> options,
        ILogger<SearchVectorIndex> logger,
        TimeProvider? time = null,
        IMeterFactory? meterFactory = null,
        IOptions<SearchIndexOptions>? searchOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.connections = connections;
        this.keys = keys;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        settings = options.Value;
        search = searchOptions?.Value ?? new SearchIndexOptions();
        layout = Task.FromResult(PartitionMetadataStore.ConfiguredLayout(keys));
        admin = new SearchIndexAdmin(keys, settings, search);
        if (meterFactory is not null)
        {
            SearchIndexMetrics.Register(meterFactory.Create(StreamRagTelemetry.MeterName), StatusForMetrics);
        }
    }

    public int Dimensions => settings.Dimensions;

    /// <summary>The partitions <c>Redis:Shards</c> gives: this engine's index is never re-sharded.</summary>
    public Task<IndexLayoutState> GetLayoutAsync(CancellationToken cancellationToken) => layout;

    /// <summary>
    /// Where a hybrid search fuses its text and vector rankings, known once the index is ensured:
    /// <c>server</c> (one FT.HYBRID) or <c>client</c> (two FT.SEARCH, fused here).
    /// </summary>
    public string? HybridFusion => ensured is null ? null : serverFusion ? "server" : "client";

    /// <summary>The last FT.INFO figures read (at start-up, by <see cref="GetStatsAsync"/> or for the metrics).</summary>
    public SearchIndexStatus? LastStatus => last?.Status;

    public async Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var chunks = document.Chunks?.OrderBy(c => c.Index).ToArray();
        document.EnsureDimensions(settings.Dimensions);

        var partition = keys.PartitionOf(document.Tenant, document.Id);
        var args = new List<RedisValue>(10 + (3 * (chunks?.Length ?? 0)));
        args.AddRange(PartitionScripts.DocumentArguments(document));
        args.AddRange([chunks is null ? "0" : "1", document.Tenant, chunks?.Length ?? 0]);
        foreach (var chunk in chunks ?? [])
        {
            var indexed = SearchQueries.IndexedText(chunk.Text);
            args.Add(SearchQueries.VectorBlob(chunk.Vector));
            args.Add(indexed);
            args.Add(ReferenceEquals(indexed, chunk.Text) ? "" : chunk.Text);
        }

        var db = await DatabaseAsync();
        // Registered first (idempotent), so no indexed document belongs to an unknown tenant.
        await db.SetAddAsync(keys.Tenants, document.Tenant);
        var result = await RunWithChunkKeysAsync(db, UpsertScript, partition, document.Id, chunks?.Length ?? 0, args.ToArray());
        return result switch
        {
            1 => IndexWriteResult.Applied,
            0 => IndexWriteResult.Stale,
            _ => IndexWriteResult.ContentChanged,
        };
    }

    public async Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync();
        var result = await RunWithChunkKeysAsync(db, DeleteScript, keys.PartitionOf(tenant, documentId), documentId, 0,
            [documentId, version, (long)settings.TombstoneRetention.TotalMilliseconds]);
        return result == 1 ? IndexWriteResult.Applied : IndexWriteResult.Stale;
    }

    public async Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        var db = await DatabaseAsync();
        // One script per document: each declares its own chunk keys (the batch is bounded by the caller).
        var expired = await Task.WhenAll(due.Select(d => ExpireOneAsync(db, tenant, d, deletedAt)));
        return expired.OfType<ExpiredDocument>().ToArray();
    }

    private async Task<ExpiredDocument?> ExpireOneAsync(IDatabase db, string tenant, ExpiringDocument due, DateTimeOffset? deletedAt)
    {
        var partition = keys.PartitionOf(tenant, due.Id);
        var document = partition.Document(due.Id);
        for (var attempt = 0; ; attempt++)
        {
            var chunks = (int?)await db.HashGetAsync(document, DocumentFields.Chunks) ?? 0;
            var scriptKeys = new RedisKey[4 + chunks];
            (scriptKeys[0], scriptKeys[1], scriptKeys[2], scriptKeys[3]) = (document, partition.ExpiryIndex, partition.Epoch, partition.DeletionOutbox);
            for (var i = 0; i < chunks; i++)
            {
                scriptKeys[4 + i] = partition.Chunk(due.Id, i);
            }

            var result = (RedisResult[])(await db.ScriptEvaluateAsync(ExpireScript, scriptKeys,
                [due.Id, due.ExpiresAt.ToUnixTimeMilliseconds(), (long)settings.TombstoneRetention.TotalMilliseconds, deletedAt is { } at ? at.ToUnixTimeMilliseconds() : ""]))!;
            switch ((int)result[0])
            {
                case 1:
                    return new ExpiredDocument(tenant, due.Id, (long)result[1], (string?)result[2] ?? "", due.ExpiresAt,
                        DateTimeOffset.FromUnixTimeMilliseconds((long)result[3]), (string)result[4]!, (string)partition.DeletionOutbox!);
                case -2 when attempt < MaxKeyRetries:
                    continue;
                case -2:
                    throw new InvalidOperationException($"document {due.Id} kept changing its chunk count; expiry not applied");
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// Runs a write script with the document's chunk hashes declared as keys (Redis Cluster and proxies
    /// route by declared keys). The chunk count is read first; if the document gained chunks before the
    /// script ran, the script refuses (-2) and the count is read again.
    /// </summary>
    private async Task<int> RunWithChunkKeysAsync(IDatabase db, string script, IndexPartition partition, string documentId, int newChunks, RedisValue[] args)
    {
        var document = partition.Document(documentId);
        for (var attempt = 0; ; attempt++)
        {
            var stored = (int?)await db.HashGetAsync(document, DocumentFields.Chunks) ?? 0;
            var count = Math.Max(stored, newChunks);
            var scriptKeys = new RedisKey[3 + count];
            scriptKeys[0] = document;
            scriptKeys[1] = partition.ExpiryIndex;
            scriptKeys[2] = partition.Epoch;
            for (var i = 0; i < count; i++)
            {
                scriptKeys[3 + i] = partition.Chunk(documentId, i);
            }

            var result = (int)await db.ScriptEvaluateAsync(script, scriptKeys, args);
            if (result != -2 || attempt == MaxKeyRetries)
            {
                return result == -2
                    ? throw new InvalidOperationException($"document {documentId} kept changing its chunk count; write not applied")
                    : result;
            }
        }
    }

    public void Dispose() => ensureLock.Dispose();

    private async Task<IDatabase> DatabaseAsync() => (await connections.GetSharedAsync()).GetDatabase();

    private static partial class Log
    {
        [LoggerMessage(1503, LogLevel.Information, "FT index {Index} is indexing the chunks already stored ({Percent:P0} done, {Documents} chunks); nothing is written or searched through it until that ends (at most Index:Search:BuildTimeout = {Timeout})")]
        public static partial void IndexBuilding(ILogger logger, string index, double percent, long documents, TimeSpan timeout);

        [LoggerMessage(1504, LogLevel.Information, "FT index {Index} finished indexing the stored chunks: {Documents} chunks, waited {Seconds:0.0} s")]
        public static partial void IndexBuilt(ILogger logger, string index, long documents, double seconds);

        [LoggerMessage(1505, LogLevel.Information, "Hybrid search fuses text and vector rankings in the {Fusion} ({Reason})")]
        public static partial void Fusion(ILogger logger, string fusion, string reason);

        [LoggerMessage(1502, LogLevel.Debug, "FT.INFO for the index metrics failed: {Reason}")]
        public static partial void StatsUnavailable(ILogger logger, string reason);

        [LoggerMessage(1500, LogLevel.Information, "Created FT index {Index} behind alias {Alias}: {Schema}")]
        public static partial void IndexCreated(ILogger logger, string index, string alias, string schema);

        [LoggerMessage(1501, LogLevel.Error, "The running FT index {Index} differs from the configured schema and is used as it is (Index:Search:OnSchemaMismatch=warn): {Differences}. Migrate it: dotnet run --project tools/StreamRag.IndexAdmin -- migrate")]
        public static partial void SchemaMismatch(ILogger logger, string index, string differences);
    }
}
