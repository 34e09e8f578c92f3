using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRag.Redis;

namespace StreamRag.Index;

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
    IEnumerable<IIndexEngineFactory> engines,
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
    /// <exception cref="InvalidOperationException">Index:Engine=search and the server has no Query Engine, or refused the probe (e.g. NOPERM).</exception>
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
                    var (available, probe) = await Engine(IndexEngineChoice.Search).ProbeAsync(db);
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

            var factory = Engine(name);
            if (queryEngine is not true && !(await factory.ProbeAsync(db)).Available)
            {
                throw new IndexManifestConflictException(
                    $"The index under prefix '{keys.Prefix}' was built with {factory.Description} ({name}; {keys.IndexManifest}: {manifest.Provenance}), "
                    + "but this Redis server has none. Point this host at the server that holds the index.");
            }

            var selected = await factory.StartAsync(cancellationToken);

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

    private IIndexEngineFactory Engine(string name) =>
        engines.LastOrDefault(e => e.Name == name)
        ?? throw new InvalidOperationException($"this host has no {name} index engine registered (engines: {string.Join(", ", engines.Select(e => e.Name))})");

    private string HostDescription() =>
        $"{services.GetService<IHostEnvironment>()?.ApplicationName ?? "StreamRag"} on {Environment.MachineName} (pid {Environment.ProcessId})";

    public async Task<IndexLayoutState> GetLayoutAsync(CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).GetLayoutAsync(cancellationToken);

    public async Task<IndexWriteResult> UpsertAsync(IndexedDocument document, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).UpsertAsync(document, cancellationToken);

    public async Task<IndexWriteResult> DeleteAsync(string tenant, string documentId, long version, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).DeleteAsync(tenant, documentId, version, cancellationToken);

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(VectorQuery query, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).SearchAsync(query, cancellationToken);

    public async Task<IReadOnlyList<ExpiredDocument>> ExpireBatchAsync(string tenant, IReadOnlyList<ExpiringDocument> due, DateTimeOffset deletedAt, CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).ExpireBatchAsync(tenant, due, deletedAt, cancellationToken);

    public async Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken) =>
        await (await EngineAsync(cancellationToken)).GetStatsAsync(cancellationToken);

    public void Dispose() => gate.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1410, LogLevel.Information, "Index engine: {Engine} (Index:Engine={Configured}; {Reason}); embedding model of the index: {Model}")]
        public static partial void EngineSelected(ILogger logger, string engine, string configured, string reason, string model);
    }
}
