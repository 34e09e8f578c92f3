using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index.Search;

public static class IndexEngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IVectorIndex"/> as the engine <c>Index:Engine</c> names — <c>vectorset</c>,
    /// <c>search</c>, or <c>auto</c> (the Query Engine when the server has it) — chosen once, logged,
    /// and, for the Query Engine, with its index created or checked at start-up.
    /// </summary>
    public static IServiceCollection AddStreamRagIndex(this IServiceCollection services)
    {
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

    /// <summary>The engine to run; throws when the Query Engine is required but missing.</summary>
    public static (string Engine, string Reason) Decide(string configured, bool queryEngineAvailable, string probe) => configured switch
    {
        VectorSet => (VectorSet, "configured"),
        Search when queryEngineAvailable => (Search, "configured"),
        Search => throw new InvalidOperationException($"Index:Engine=search but the Redis server has no Query Engine (FT._LIST: {probe})"),
        _ when queryEngineAvailable => (Search, "auto: the server has the Query Engine"),
        _ => (VectorSet, $"auto: no Query Engine on the server ({probe})"),
    };
}

/// <summary>
/// The <see cref="IVectorIndex"/> the fleet sees: it picks the engine on first use (or at start-up,
/// through <see cref="IndexEngineStartup"/>) and forwards every call, so nothing else knows which
/// engine runs. A failed choice (Redis unreachable) is retried on the next call.
/// </summary>
public sealed partial class SelectedVectorIndex(
    IServiceProvider services,
    RedisConnections connections,
    IOptions<IndexOptions> options,
    ILogger<SelectedVectorIndex> logger) : IVectorIndex, IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile IVectorIndex? engine;

    public int Dimensions => options.Value.Dimensions;

    /// <summary>The engine running, or null before the choice.</summary>
    public string? EngineName { get; private set; }

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

            var configured = options.Value.Engine;
            var (available, probe) = configured == IndexEngineChoice.VectorSet
                ? (false, "not probed")
                : await SearchIndexAdmin.ProbeAsync((await connections.GetSharedAsync()).GetDatabase());
            var (name, reason) = IndexEngineChoice.Decide(configured, available, probe);
            IVectorIndex selected = name == IndexEngineChoice.Search
                ? services.GetRequiredService<SearchVectorIndex>()
                : services.GetRequiredService<VectorSetIndex>();
            if (selected is SearchVectorIndex search)
            {
                await search.EnsureIndexAsync(cancellationToken);
            }

            Log.EngineSelected(logger, name, configured, reason);
            EngineName = name;
            engine = selected;
            return selected;
        }
        finally
        {
            gate.Release();
        }
    }

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
        [LoggerMessage(4110, LogLevel.Information, "Index engine: {Engine} (Index:Engine={Configured}; {Reason})")]
        public static partial void EngineSelected(ILogger logger, string engine, string configured, string reason);
    }
}

/// <summary>
/// Chooses the engine when the host starts, so the choice is logged and a Query Engine index is
/// created (or its schema mismatch reported) before any work. Redis being unreachable does not stop
/// the host: the choice then happens on first use, like every other Redis call retries.
/// </summary>
internal sealed partial class IndexEngineStartup(SelectedVectorIndex index, ILogger<IndexEngineStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await index.EngineAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            Log.Deferred(logger, ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(4111, LogLevel.Warning, "Index engine not chosen at start-up, Redis did not answer ({Reason}); it is chosen on first use")]
        public static partial void Deferred(ILogger logger, string reason);
    }
}
