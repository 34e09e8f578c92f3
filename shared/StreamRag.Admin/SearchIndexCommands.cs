using System.Globalization;
using StackExchange.Redis;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Redis;

namespace StreamRag.Admin;

/// <summary>The Query Engine (FT.*) server is not there: the index-admin operations cannot run.</summary>
public sealed class QueryEngineUnavailableException(string message) : Exception(message);

/// <summary>
/// The index-admin operations of the Query Engine engine (docs/search-engine.md), as
/// <c>StreamRag.IndexAdmin</c> and <c>streamrag reindex</c> / <c>migrate</c> run them, writing what
/// they do to <paramref name="output"/>. Exit codes: 0 done / matches, 1 failed, 2 the running index
/// differs from the configuration, 3 no index.
/// </summary>
public sealed class SearchIndexCommands(IDatabase db, KeySchema keys, IndexOptions options, SearchIndexOptions searchOptions, TextWriter output, TimeProvider time)
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int Differs = 2;
    public const int NoIndex = 3;

    private readonly SearchIndexAdmin admin = new(keys, options, searchOptions);

    /// <summary>The index behind the alias, its statistics and how it differs from the configuration.</summary>
    public async Task<int> StatusAsync(CancellationToken cancellationToken)
    {
        await HeaderAsync();
        var status = await admin.InspectAsync(db, cancellationToken);
        if (status is null)
        {
            await output.WriteLineAsync("running:    none (a host creates it at start-up, or run 'create')");
            return NoIndex;
        }

        return await ReportAsync(status);
    }

    /// <summary>Creates the index and alias if missing and waits until the server has indexed the stored chunks (what every host does at start-up).</summary>
    public async Task<int> CreateAsync(CancellationToken cancellationToken)
    {
        await HeaderAsync();
        var shownPercent = -1;
        var (ensured, created) = await admin.EnsureAsync(db, time, building =>
        {
            // One line per whole percent: FT.INFO is read ten times a second.
            if ((int)(building.PercentIndexed * 100) is var percent && percent != shownPercent)
            {
                shownPercent = percent;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"building:   {building.PhysicalName} {percent} % indexed, {building.Documents} chunks"));
            }
        }, cancellationToken);
        await output.WriteLineAsync(created ? $"created:    {ensured.PhysicalName}" : $"exists:     {ensured.PhysicalName}");
        return await ReportAsync(ensured);
    }

    /// <summary>Builds a new index with the configured schema, switches the alias, drops the old one (FT.DROPINDEX without DD: the chunk hashes stay).</summary>
    public async Task<int> MigrateAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await HeaderAsync();
        var current = await admin.InspectAsync(db, cancellationToken);
        if (current is null)
        {
            await output.WriteLineAsync("running:    none; nothing to migrate (run 'create')");
            return NoIndex;
        }

        await ReportAsync(current);
        if (current.Matches)
        {
            await output.WriteLineAsync("The running index already has the configured schema; nothing to migrate.");
            return Done;
        }

        var result = await admin.MigrateAsync(db, TimeSpan.FromSeconds(1), timeout, line => output.WriteLine($"  {line}"), time, cancellationToken);
        await output.WriteLineAsync(result.Message);
        return result.Switched ? Done : Failed;
    }

    private async Task HeaderAsync()
    {
        var (available, probe) = await SearchIndexAdmin.ProbeAsync(db);
        if (!available)
        {
            throw new QueryEngineUnavailableException($"this Redis server has no Query Engine (FT._LIST: {probe}); the index-admin operations are for Index:Engine=search");
        }

        await output.WriteLineAsync($"alias:      {admin.Alias}");
        await output.WriteLineAsync($"configured: {admin.ConfiguredSchema}");
    }

    private async Task<int> ReportAsync(SearchIndexStatus status)
    {
        await output.WriteLineAsync($"running:    {status.PhysicalName}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"chunks:     {status.Documents} ({status.IndexingFailures} failed to index, {status.PercentIndexed:P0} indexed{(status.Indexing ? ", scanning" : "")})"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"memory:     {status.TotalMemoryBytes / 1048576.0:0.0} MiB ({status.VectorMemoryBytes / 1048576.0:0.0} MiB vectors)"));
        if (status.Matches)
        {
            await output.WriteLineAsync("schema:     matches the configuration");
            return Done;
        }

        await output.WriteLineAsync("schema:     DIFFERS from the configuration:");
        foreach (var difference in status.Differences)
        {
            await output.WriteLineAsync($"  - {difference}");
        }

        await output.WriteLineAsync("Run 'migrate' to build an index with the configured schema and switch to it.");
        return Differs;
    }
}
