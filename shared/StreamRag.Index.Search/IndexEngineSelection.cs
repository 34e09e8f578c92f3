using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRag.Redis;

namespace StreamRag.Index.Search;

public static class IndexEngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IVectorIndex"/> as the engine the index manifest records, or, for a new
    /// index, the one <c>Index:Engine</c> names — <c>vectorset</c>, <c>search</c>, or <c>auto</c>
    /// (vector sets: <see cref="IndexEngineChoice.AutoReason"/>) — chosen once, checked, logged, and, for the Query Engine,
    /// with its index created or checked at start-up.
    /// </summary>
    public static IServiceCollection AddStreamRagIndex(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IndexLayoutSource>();
        services.TryAddSingleton<VectorSetIndex>();
        services.TryAddSingleton<SearchVectorIndex>();
        services.TryAddSingleton<SelectedVectorIndex>();
        services.TryAddSingleton<IVectorIndex>(sp => sp.GetRequiredService<SelectedVectorIndex>());
        services.AddHostedService<IndexEngineStartup>();
        return services;
    }
}

/// <summary>Which engine a configuration and a server give, and why (pure, so it is unit-tested).</summary>
public static class IndexEngineChoice
{
    public const string VectorSet = "vectorset";
    public const string Search = "search";
    public const string Auto = "auto";

    /// <summary>
    /// Why <c>auto</c> picks vector sets whatever the server has (issue 19): measured through the fleet
    /// with the default model, the Query Engine engine's hybrid search retrieves no better than vector
    /// sets with the query worker's lexical re-ranking (docs/search-engine.md, retrieval quality), and
    /// vector sets are on every Redis 8 and need no FT permission.
    /// </summary>
    public const string AutoReason = "auto: vector sets, which retrieve at least as well as the Query Engine in our measurements (docs/search-engine.md); Index:Engine=search picks the Query Engine";

    /// <summary>
    /// The engine a new index gets; throws when the Query Engine is required but missing. Only for an
    /// index without a manifest: a recorded engine is adopted instead (<see cref="IndexManifestRules"/>).
    /// <c>auto</c> is vector sets (<see cref="AutoReason"/>), so only <c>search</c> needs the probe.
    /// </summary>
    public static (string Engine, string Reason) Decide(string configured, bool queryEngineAvailable, string probe) => configured switch
    {
        Search when queryEngineAvailable => (Search, "configured"),
        Search => throw new InvalidOperationException($"Index:Engine=search but the Redis server has no Query Engine (FT._LIST: {probe})"),
        VectorSet => (VectorSet, "configured"),
        _ => (VectorSet, AutoReason),
    };

    /// <summary>
    /// True only for the server's "unknown command" reply: the one answer that means the Query Engine
    /// is absent. NOPERM, LOADING and the like say nothing about it.
    /// </summary>
    public static bool MeansNoQueryEngine(string error) =>
        error is not null && error.StartsWith("ERR unknown command", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The <see cref="IVectorIndex"/> the fleet sees: it picks the engine on first use (or at start-up,
/// through <see cref="IndexEngineStartup"/>) and forwards every call, so nothing else knows which
/// engine runs. The engine comes from the index manifest (<see cref="KeySchema.IndexManifest"/>) when
/// one is recorded; otherwise this host chooses it and records it, so every later host adopts the
/// same. A host that embeds (it registers its <see cref="IndexModel"/>) records its model too, and
/// must match a recorded one. A failed choice (Redis unreachable) is retried on the next call.
/// </summary>
public sealed partial class SelectedVectorIndex(
    IServiceProvider services,
    RedisConnections connections,
    KeySchema keys,
    IOptions<IndexOptions> options,
    TimeProvider time,
    ILogger<SelectedVectorIndex> logger) : IVectorIndex, IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile IVectorIndex? engine;

    public int Dimensions => options.Value.Dimensions;

    /// <summary>The engine running, or null before the choice.</summary>
    public string? EngineName { get; private set; }

    /// <summary>The index manifest as this host found or recorded it, or null before the choice.</summary>
    public IndexManifest? Manifest { get; private set; }

    /// <exception cref="IndexManifestConflictException">This host's engine or model differs from the recorded one.</exception>
    /// <exception cref="IndexEngineProbeException">Index:Engine=auto and the server refused the probe (e.g. NOPERM).</exception>
    public async Task<IVectorIndex> EngineAsync(CancellationToken cancellationToken)
    {
        if (engine is { } chosen)
        {
            return chosen;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (engine is { } raced)
            {
                return raced;
            }

            var db = (await connections.GetSharedAsync()).GetDatabase();
            var configured = options.Value.Engine;
            var model = services.GetService<IndexModel>();
            var manifest = await IndexManifestStore.ReadAsync(db, keys);
            bool? queryEngine = null;
            string reason;
            if (manifest is null || (model is not null && manifest.Model is null) || manifest.StreamPartitions is null)
            {
                string candidate;
                if (manifest is not null)
                {
                    candidate = manifest.Engine;
                    reason = $"adopted from {keys.IndexManifest}, {manifest.Provenance}";
                }
                else if (configured != IndexEngineChoice.Search)
                {
                    (candidate, reason) = IndexEngineChoice.Decide(configured, queryEngineAvailable: false, probe: "not asked");
                }
                else
                {
                    var (available, probe) = await SearchIndexAdmin.ProbeAsync(db);
                    queryEngine = available;
                    (candidate, reason) = IndexEngineChoice.Decide(configured, available, probe);
                }

                manifest = await IndexManifestStore.RecordAsync(db, keys, candidate, model, time.GetUtcNow(), HostDescription());
                if (manifest.Engine != candidate)
                {
                    reason = $"adopted from {keys.IndexManifest}, {manifest.Provenance} (another host recorded it first)";
                }
            }
            else
            {
                reason = $"adopted from {keys.IndexManifest}, {manifest.Provenance}";
            }

            var name = IndexManifestRules.AdoptEngine(configured, manifest, keys);
            IndexManifestRules.CheckStreamPartitions(manifest, keys);
            if (model is not null)
            {
                IndexManifestRules.CheckModel(model, manifest, keys);
            }

            if (name == IndexEngineChoice.Search && queryEngine is not true && !(await SearchIndexAdmin.ProbeAsync(db)).Available)
            {
                throw new IndexManifestConflictException(
                    $"The index under prefix '{keys.Prefix}' was built with the Query Engine (search; {keys.IndexManifest}: {manifest.Provenance}), "
                    + "but this Redis server has none. Point this host at the server that holds the index.");
            }

            IVectorIndex selected = name == IndexEngineChoice.Search
                ? services.GetRequiredService<SearchVectorIndex>()
                : services.GetRequiredService<VectorSetIndex>();
            if (selected is SearchVectorIndex search)
            {
                await search.EnsureIndexAsync(cancellationToken);
            }

            Log.EngineSelected(logger, name, configured, reason, manifest.Model?.ToString() ?? "not recorded yet");
            Manifest = manifest;
            EngineName = name;
            engine = selected;
            return selected;
        }
        finally
        {
            gate.Release();
        }
    }

    private string HostDescription() =>
        $"{services.GetService<IHostEnvironment>()?.ApplicationName ?? "StreamRag"} on {Environment.MachineName} (pid {Environment.ProcessId})";

    public async Task<DocumentState?> GetStateAsync(string tenant, string documentId, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).GetStateAsync(tenant, documentId, cancellationToken);

    public async Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).UpsertAsync(document, cancellationToken);

    public async Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).DeleteAsync(tenant, documentId, version, cancellationToken);

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).SearchAsync(query, cancellationToken);

    public async Task<long> GetEpochAsync(string tenant, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).GetEpochAsync(tenant, cancellationToken);

    public async Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).ListTenantsAsync(cancellationToken);

    public async Task<IReadOnlyList<ExpiringDocument>> DueForExpiryAsync(string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).DueForExpiryAsync(tenant, now, limit, cancellationToken);

    public async Task<bool> ExpireAsync(string tenant, string documentId, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).ExpireAsync(tenant, documentId, expiresAt, cancellationToken);

    public async Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).ExpireBatchAsync(tenant, due, deletedAt, cancellationToken);

    public async Task<IReadOnlyList<ExpiredDocument>> PendingDeletionRecordsAsync(string tenant, int limit, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).PendingDeletionRecordsAsync(tenant, limit, cancellationToken);

    public async Task<long> AcknowledgeDeletionRecordsAsync(IReadOnlyList<ExpiredDocument> records, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).AcknowledgeDeletionRecordsAsync(records, cancellationToken);

    public async Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).GetStatsAsync(cancellationToken);

    public void Dispose() => gate.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1510, LogLevel.Information, "Index engine: {Engine} (Index:Engine={Configured}; {Reason}); embedding model of the index: {Model}")]
        public static partial void EngineSelected(ILogger logger, string engine, string configured, string reason, string model);
    }
}

/// <summary>
/// Chooses the engine when the host starts, so the choice is logged, checked against the index
/// manifest, and a Query Engine index created (or its schema mismatch reported) before any work. A
/// host whose engine or model contradicts the manifest does not start. While Redis does not answer
/// (or answers LOADING), the start waits and retries with a growing pause: nothing else can work
/// without Redis, and no host may work before it knows which index it serves.
/// </summary>
internal sealed partial class IndexEngineStartup(SelectedVectorIndex index, TimeProvider time, ILogger<IndexEngineStartup> logger) : IHostedService
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var pause = FirstPause;
        while (true)
        {
            try
            {
                await index.EngineAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (RedisErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                Log.Waiting(logger, ex.Message, pause);
                await Task.Delay(pause, time, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !RedisErrors.IsTransient(ex))
            {
                Log.Refused(logger, ex.Message);
                throw;
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1511, LogLevel.Warning, "Index engine not chosen yet, Redis did not answer ({Reason}); retrying in {Pause}")]
        public static partial void Waiting(ILogger logger, string reason, TimeSpan pause);

        [LoggerMessage(1512, LogLevel.Critical, "This host does not start: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);
    }
}
