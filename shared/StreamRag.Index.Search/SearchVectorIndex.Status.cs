using StackExchange.Redis;

namespace StreamRag.Index.Search;

/// <summary>The FT index itself: created or checked at start-up, and its status for the statistics and the metrics.</summary>
public sealed partial class SearchVectorIndex
{
    /// <summary>
    /// Creates the FT index and alias if missing, waits until it has indexed the chunks already stored
    /// (logged; bounded by <c>Index:Search:BuildTimeout</c>), and compares it with the configuration.
    /// A mismatch throws <see cref="IndexSchemaMismatchException"/> (or, with <c>OnSchemaMismatch=warn</c>,
    /// is logged as an error and the running index is used). Runs once; later calls return at once.
    /// </summary>
    public async Task<SearchIndexStatus> EnsureIndexAsync(CancellationToken cancellationToken)
    {
        if (ensured is { } done)
        {
            return done;
        }

        await ensureLock.WaitAsync(cancellationToken);
        try
        {
            if (ensured is { } raced)
            {
                return raced;
            }

            var waitStarted = time.GetTimestamp();
            var loggedAt = (DateTimeOffset?)null;
            void Building(SearchIndexStatus building)
            {
                // The first reading, then one line every BuildLogInterval: a scan of millions of chunks takes minutes.
                if (loggedAt is null || time.GetUtcNow() - loggedAt >= BuildLogInterval)
                {
                    loggedAt = time.GetUtcNow();
                    Log.IndexBuilding(logger, building.PhysicalName, building.PercentIndexed, building.Documents, search.BuildTimeout);
                }
            }

            var (status, created) = await admin.EnsureAsync(await DatabaseAsync(), time, Building, cancellationToken);
            if (created)
            {
                Log.IndexCreated(logger, status.PhysicalName, admin.Alias, admin.ConfiguredSchema);
            }

            if (loggedAt is not null)
            {
                Log.IndexBuilt(logger, status.PhysicalName, status.Documents, time.GetElapsedTime(waitStarted).TotalSeconds);
            }

            if (!status.Matches)
            {
                if (search.OnSchemaMismatch != "warn")
                {
                    throw new IndexSchemaMismatchException(status.PhysicalName, status.Differences);
                }

                Log.SchemaMismatch(logger, status.PhysicalName, string.Join("; ", status.Differences));
            }

            (serverFusion, var reason) = await ChooseFusionAsync(await DatabaseAsync());
            Log.Fusion(logger, serverFusion ? "server" : "client", reason);
            last = new StatusSnapshot(status, this.time.GetUtcNow());
            ensured = status;
            return status;
        }
        finally
        {
            ensureLock.Release();
        }
    }

    /// <summary>Chunks are the FT index's documents; memory is the vector index's, as FT.INFO reports it.</summary>
    public async Task<IndexStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await EnsureIndexAsync(cancellationToken);
        var db = await DatabaseAsync();
        var tenants = await db.SetLengthAsync(keys.Tenants);
        var status = await admin.InspectAsync(db, cancellationToken)
            ?? throw new InvalidOperationException($"FT index alias {admin.Alias} disappeared");
        last = new StatusSnapshot(status, time.GetUtcNow());
        return new IndexStats((int)tenants, status.Documents, status.VectorMemoryBytes);
    }

    /// <summary>The snapshot for a gauge; a stale one triggers one background refresh at a time.</summary>
    private SearchIndexStatus? StatusForMetrics()
    {
        var snapshot = last;
        if ((snapshot is null || time.GetUtcNow() - snapshot.At > SearchIndexMetrics.MaxAge)
            && Interlocked.CompareExchange(ref refreshing, 1, 0) == 0)
        {
            _ = RefreshStatusAsync();
        }

        return snapshot?.Status;
    }

    private async Task RefreshStatusAsync()
    {
        try
        {
            if (await admin.InspectAsync(await DatabaseAsync(), CancellationToken.None) is { } status)
            {
                last = new StatusSnapshot(status, time.GetUtcNow());
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.StatsUnavailable(logger, ex.Message);
        }
        finally
        {
            Volatile.Write(ref refreshing, 0);
        }
    }

    private sealed record StatusSnapshot(SearchIndexStatus Status, DateTimeOffset At);
}
