using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The index engine over Redis 8 vector sets. Per partition (tenant, shard): one vector set whose
/// elements are chunks named <c>docId#chunk</c> with JSON attributes (the document's metadata for
/// filtering, and the passage text, so one VSIM returns whole hits: VectorSetIndex.Search.cs), one hash per
/// document (version, content hash, metadata, chunk texts), an expiry index and an epoch counter.
/// Writes run as Lua scripts, so a document's chunks, metadata, expiry entry and the epoch change
/// together or not at all. Searches run VSIM outside scripts, so Redis runs them on its threads.
/// </summary>
public sealed partial class VectorSetIndex : IVectorIndex
{
    // A write refused by a fenced partition is made again under the layout read afresh; the layout
    // changes twice per change of shard count, so a few tries always suffice.
    private const int LayoutTries = 4;

    private readonly RedisConnections connections;
    private readonly KeySchema keys;
    private readonly ILogger logger;
    private readonly IndexOptions settings;
    private readonly VectorSetScripts scripts;
    private readonly IndexLayoutSource layoutSource;

    /// <param name="layouts">This host's view of the layout; one of its own when not given.</param>
    public VectorSetIndex(RedisConnections connections, KeySchema keys, IOptions<IndexOptions> options, ILogger<VectorSetIndex>? logger = null, IndexLayoutSource? layouts = null)
        : this(connections, keys, (options ?? throw new ArgumentNullException(nameof(options))).Value, logger, layouts ?? new IndexLayoutSource(connections, keys, TimeProvider.System))
    {
    }

    private VectorSetIndex(RedisConnections connections, KeySchema keys, IndexOptions settings, ILogger<VectorSetIndex>? logger, IndexLayoutSource layouts)
    {
        this.connections = connections;
        this.keys = keys;
        this.logger = logger ?? (ILogger)NullLogger.Instance;
        this.settings = settings;
        scripts = new VectorSetScripts(settings);
        layoutSource = layouts;
        attributeReads = new Lazy<Task<bool>>(DetectAttributeReadsAsync);
    }

    public int Dimensions => settings.Dimensions;

    /// <summary>Where this host sees the index's partitions (<see cref="IndexLayoutSource"/>: it follows a change of shard count).</summary>
    public Task<IndexLayoutState> GetLayoutAsync(CancellationToken cancellationToken) => layoutSource.GetAsync(cancellationToken);

    public async Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.EnsureDimensions(settings.Dimensions);
        var db = await DatabaseAsync();
        // Registered first (idempotent), so no indexed document belongs to an unknown tenant.
        await db.SetAddAsync(keys.Tenants, document.Tenant);
        var codes = await WriteAsync(async (layout, number) =>
        {
            var (code, unlinked) = await scripts.UpsertAsync(db, layout.PartitionOf(keys, document.Tenant, document.Id), number, document, document.Chunks);
            if (code == 1 && document.Chunks is { } chunks && unlinked > 0)
            {
                Log.PassagesUnlinked(logger, document.Tenant, document.Id, document.Version, unlinked, chunks.Count, settings.MaxDuplicatePassages);
            }

            return code;
        }, cancellationToken);

        // While the shard count changes a document is written twice; a refused metadata-only update
        // on either copy means the content must be embedded and written again.
        return codes.Contains(-1) ? IndexWriteResult.ContentChanged
            : codes.Contains(1) ? IndexWriteResult.Applied
            : IndexWriteResult.Stale;
    }

    public async Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync();
        var codes = await WriteAsync((layout, number) => scripts.DeleteAsync(db, layout.PartitionOf(keys, tenant, documentId), number, documentId, version), cancellationToken);
        return codes.Contains(1) ? IndexWriteResult.Applied : IndexWriteResult.Stale;
    }

    /// <summary>Runs one write on every layout the index writes to (the current one first, so what searches read is written before its copy).</summary>
    private async Task<int[]> WriteAsync(Func<IndexLayout, long, Task<int>> write, CancellationToken cancellationToken)
    {
        // Kept across attempts: when a rolled-back change fences the abandoned layout, the current
        // layout has already taken the write, and the next attempt then finds its own write there (stale).
        var codes = new List<int>(2);
        await UnderLayoutAsync(async state =>
        {
            foreach (var layout in state.WriteLayouts)
            {
                codes.Add(await write(layout, state.Number));
            }

            return true;
        }, cancellationToken);
        return codes.ToArray();
    }

    /// <summary>Runs a write under the layout as this host sees it, and again under a fresh one if a fenced partition refuses it.</summary>
    private async Task<T> UnderLayoutAsync<T>(Func<IndexLayoutState, Task<T>> write, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var state = await layoutSource.GetAsync(cancellationToken);
            try
            {
                return await write(state);
            }
            catch (LayoutChangedException ex) when (attempt < LayoutTries)
            {
                Log.LayoutChanged(logger, state.Number, ex.Message);
                layoutSource.Invalidate();
            }
        }
    }

    public async Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        return due.Count == 0 ? [] : await ExpireInLayoutsAsync(tenant, due, deletedAt, cancellationToken);
    }

    /// <summary>
    /// Expires in the current layout, which writes the deletion records, and, while the shard count
    /// changes, the next layout's copies too (without records: one expiry, one record).
    /// </summary>
    private async Task<IReadOnlyList<ExpiredDocument>> ExpireInLayoutsAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync();
        // Kept across attempts, like a write's codes: what an attempt expired (and recorded) stays expired.
        var expired = new List<ExpiredDocument>();
        await UnderLayoutAsync(async state =>
        {
            expired.AddRange(await ExpireInLayoutAsync(db, tenant, state.Current, state.Number, due, deletedAt, record: true));
            if (state.Next is { } next)
            {
                await ExpireInLayoutAsync(db, tenant, next, state.Number, due, deletedAt, record: false);
            }

            return true;
        }, cancellationToken);
        return expired;
    }

    private async Task<IReadOnlyList<ExpiredDocument>> ExpireInLayoutAsync(IDatabase db, string tenant, IndexLayout layout, long number, IReadOnlyList<ExpiringDocument> due, DateTimeOffset? deletedAt, bool record)
    {
        // One script per partition (its keys share a hash slot); partitions run side by side.
        var batches = due.GroupBy(d => layout.PartitionOf(keys, tenant, d.Id))
            .Select(g => scripts.ExpireAsync(db, tenant, g.Key, number, g.ToArray(), deletedAt, record));
        return (await Task.WhenAll(batches)).SelectMany(x => x).ToArray();
    }

    public async Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        var tenants = await PartitionReads.TenantsAsync(await DatabaseAsync(), keys);
        var layout = (await layoutSource.GetAsync(cancellationToken)).Current;
        var db = await DatabaseAsync();
        var sets = tenants.SelectMany(t => layout.PartitionsOf(keys, t)).Select(p => p.VectorSet).ToArray();
        var sizes = await Task.WhenAll(sets.Select(k => db.VectorSetLengthAsync(k)));
        var memory = await Task.WhenAll(sets.Select(k => db.ExecuteAsync("MEMORY", "USAGE", k, "SAMPLES", "0")));
        return new IndexStats(tenants.Count, sizes.Sum(), memory.Sum(m => m.IsNull ? 0 : (long)m));
    }

    private async Task<IDatabase> DatabaseAsync() => (await connections.GetSharedAsync()).GetDatabase();

    private static partial class Log
    {
        [LoggerMessage(1400, LogLevel.Warning, "Document {Id} v{Version} of tenant {Tenant}: {Unlinked} of its {Passages} passages were left out of the vector graph, which already links {MaxDuplicates} (nearly) identical passages of other documents (Index:MaxDuplicatePassages); they are stored but not searchable")]
        public static partial void PassagesUnlinked(ILogger logger, string tenant, string id, long version, int unlinked, int passages, int maxDuplicates);

        [LoggerMessage(1401, LogLevel.Information, "A write under layout {Number} was refused ({Reason}): the shard count is changing; writing again under the layout as it now stands")]
        public static partial void LayoutChanged(ILogger logger, long number, string reason);

        [LoggerMessage(1402, LogLevel.Information, "Vector-set searches read their hits from {Reads} (Redis {Versions})")]
        public static partial void SearchReads(ILogger logger, string reads, string versions);
    }
}
