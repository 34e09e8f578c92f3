using System.Globalization;
using NRedisStack;
using NRedisStack.RedisStackCommands;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index.Search;

/// <summary>
/// Creates, inspects and migrates the FT index. The fleet searches an alias
/// (<see cref="KeySchema.SearchIndexAlias"/>) that points at a physical index named
/// <c>alias:vN</c>; a migration builds <c>alias:vN+1</c> over the same chunk hashes, points the alias
/// at it and drops the old index without its documents, so searches never stop.
/// </summary>
public sealed class SearchIndexAdmin
{
    /// <summary>How often a host reads FT.INFO while a new index scans the stored chunks (most take well under a second).</summary>
    private static readonly TimeSpan EnsurePollInterval = TimeSpan.FromMilliseconds(100);

    private readonly KeySchema keys;
    private readonly SearchIndexOptions search;
    private readonly SearchSchema schema;

    /// <param name="searchOptions">The engine's own settings (<c>Index:Search</c>); the defaults when not given.</param>
    public SearchIndexAdmin(KeySchema keys, IndexOptions options, SearchIndexOptions? searchOptions = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        this.keys = keys;
        search = searchOptions ?? new SearchIndexOptions();
        schema = SearchSchema.From(options, search, keys.ChunkPrefix);
    }

    /// <summary>The alias every search goes through.</summary>
    public string Alias => keys.SearchIndexAlias;

    /// <summary>The configured schema in one line.</summary>
    public string ConfiguredSchema => schema.ToString();

    internal SearchSchema Schema => schema;

    /// <summary>The index behind the alias as FT.INFO reports it, or null when there is none.</summary>
    public async Task<SearchIndexStatus?> InspectAsync(IDatabase db, CancellationToken cancellationToken)
    {
        var running = await InfoAsync(db, Alias);
        return running is null ? null : new SearchIndexStatus(running, schema.Differences(running));
    }

    /// <summary>
    /// Makes sure the alias resolves to a built index: creates <c>alias:v1</c> and the alias when there
    /// is none (several hosts may race; the losers find the winner's index), then waits while the
    /// index scans the chunk hashes already stored (<see cref="IndexBuild"/>), reporting each reading
    /// to <paramref name="building"/>, at most <c>Index:Search:BuildTimeout</c>
    /// (<see cref="IndexBuildTimeoutException"/>). Returns the running index with its differences from
    /// the configuration; it never changes or drops a running index.
    /// </summary>
    public async Task<(SearchIndexStatus Status, bool Created)> EnsureAsync(IDatabase db, TimeProvider time, Action<SearchIndexStatus>? building, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(time);
        var created = false;
        var status = await InspectAsync(db, cancellationToken);
        if (status is null)
        {
            var physical = PhysicalName(1);
            created = await TryAsync(db, SearchCommandBuilder.Create(physical, schema.CreateParams(), schema.ToSchema()), "already exists");
            await TryAsync(db, SearchCommandBuilder.AliasAdd(Alias, physical), "already exists");
            status = await InspectAsync(db, cancellationToken)
                ?? throw new InvalidOperationException($"FT index alias {Alias} is still missing after creating {physical}");
        }

        if (!IndexBuild.IsBuilt(status.Running))
        {
            var built = await IndexBuild.WaitAsync(() => InfoAsync(db, Alias), status.PhysicalName, EnsurePollInterval, search.BuildTimeout,
                running => building?.Invoke(new SearchIndexStatus(running, schema.Differences(running))), time, cancellationToken);
            status = new SearchIndexStatus(built, schema.Differences(built));
        }

        return (status, created);
    }

    /// <summary>
    /// Moves the alias to a new index with the configured schema: creates <c>alias:vN+1</c> over the
    /// same chunk prefix, waits while the server indexes the existing chunks in the background, refuses
    /// (dropping only the new index) if any chunk fails to index — e.g. a changed dimension needs
    /// re-embedding, not a migration — then FT.ALIASUPDATE and FT.DROPINDEX of the old index without DD,
    /// so the chunk hashes stay.
    /// </summary>
    public async Task<MigrationResult> MigrateAsync(IDatabase db, TimeSpan pollInterval, TimeSpan timeout, Action<string> progress, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(time);
        var current = await InspectAsync(db, cancellationToken)
            ?? throw new InvalidOperationException($"there is no index behind {Alias} to migrate; start a host (or run 'create') to create it");
        var old = current.Running.Name;
        if (old == Alias)
        {
            throw new InvalidOperationException($"{Alias} is a physical index, not an alias; rename cannot be done in place");
        }

        var version = VersionOf(old) + 1;
        while (await InfoAsync(db, PhysicalName(version)) is not null)
        {
            version++;
        }

        var next = PhysicalName(version);
        // Writes while the new index scans could be indexed twice in it (see IndexBuild); they are
        // counted through the epochs every write script increments, and a build that saw any is refused.
        var writesBefore = await WriteCountAsync(db);
        progress($"creating {next}: {schema}");
        await ExecuteAsync(db, SearchCommandBuilder.Create(next, schema.CreateParams(), schema.ToSchema()));

        RunningIndex built;
        try
        {
            built = await IndexBuild.WaitAsync(() => InfoAsync(db, next), next, pollInterval, timeout, running => progress(Progress(next, running)), time, cancellationToken);
            progress(Progress(next, built));
        }
        catch (IndexBuildTimeoutException)
        {
            await ExecuteAsync(db, SearchCommandBuilder.DropIndex(next, false));
            return new MigrationResult(false, old, next, $"{next} was not built within {timeout}; it was dropped and {Alias} still points at {old}");
        }

        var writesDuring = await WriteCountAsync(db) - writesBefore;
        if (writesDuring != 0)
        {
            await ExecuteAsync(db, SearchCommandBuilder.DropIndex(next, false));
            return new MigrationResult(false, old, next, string.Create(CultureInfo.InvariantCulture,
                $"{writesDuring} document writes (upserts, deletes, expiries) happened while {next} was indexing the stored chunks, and a chunk written during that scan can be indexed twice; "
                + $"{next} was dropped and {Alias} still points at {old}. Stop the embedders and the sweeper (queries may go on), run migrate again, then start them"));
        }

        if (built.IndexingFailures > 0)
        {
            await ExecuteAsync(db, SearchCommandBuilder.DropIndex(next, false));
            return new MigrationResult(false, old, next,
                $"{built.IndexingFailures} chunks could not be indexed under the new schema (a changed dimension or type needs re-embedding, not a migration); {next} was dropped and {Alias} still points at {old}");
        }

        await ExecuteAsync(db, SearchCommandBuilder.AliasUpdate(Alias, next));
        await ExecuteAsync(db, SearchCommandBuilder.DropIndex(old, false));
        return new MigrationResult(true, old, next,
            $"{Alias} now points at {next} ({built.Documents} chunks, was {current.Running.Documents}); {old} was dropped, its chunk hashes kept");
    }

    private static string Progress(string name, RunningIndex running) => string.Create(CultureInfo.InvariantCulture,
        $"{name}: {running.PercentIndexed:P0} indexed, {running.Documents} chunks, {running.IndexingFailures} failures");

    /// <summary>Every write script increments its partition's epoch: their sum over the tenants counts writes.</summary>
    private async Task<long> WriteCountAsync(IDatabase db)
    {
        var total = 0L;
        foreach (var tenant in await PartitionReads.TenantsAsync(db, keys))
        {
            total += await PartitionReads.EpochAsync(db, keys, tenant);
        }

        return total;
    }

    /// <summary>FT.INFO of an index or alias, or null when the server knows no such name.</summary>
    internal static async Task<RunningIndex?> InfoAsync(IDatabase db, string name)
    {
        try
        {
            return RunningIndex.Parse(await ExecuteAsync(db, SearchCommandBuilder.Info(name)));
        }
        catch (RedisServerException ex) when (IsUnknownIndex(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// True when the server has the Query Engine (FT._LIST answers); false only when the server does
    /// not know the command. Any other refusal says nothing about the engine: a passing state of the
    /// server (LOADING, BUSY) is thrown as it is, for the caller to retry; anything else (NOPERM
    /// under an ACL, say) throws <see cref="IndexEngineProbeException"/>.
    /// </summary>
    public static async Task<(bool Available, string Reason)> ProbeAsync(IDatabase db)
    {
        ArgumentNullException.ThrowIfNull(db);
        try
        {
            await ExecuteAsync(db, SearchCommandBuilder._List());
            return (true, "FT._LIST answered");
        }
        catch (RedisServerException ex) when (IndexEngineChoice.MeansNoQueryEngine(ex.Message))
        {
            return (false, ex.Message);
        }
        catch (RedisServerException ex) when (!RedisErrors.IsTransient(ex))
        {
            throw new IndexEngineProbeException(
                $"Cannot tell whether the Redis server has the Query Engine: FT._LIST was refused ({ex.Message}). "
                + "Allow FT._LIST to this host's Redis user, or set Index:Engine=vectorset (the roles of deploy/users.acl are granted no FT command).", ex);
        }
    }

    /// <summary>
    /// Whether the server runs FT.HYBRID (Redis 8.4 and newer with the Query Engine), asked with one
    /// real hybrid search on the alias that can match nothing (a tenant tag no tenant has), so a yes
    /// means the very command the searches send works, with this user's permissions. Only the
    /// server's "unknown command" or a refusal (e.g. NOPERM) means no; other errors (a connection
    /// lost) propagate, so a later search asks again.
    /// </summary>
    public async Task<(bool Available, string Reason)> ProbeHybridAsync(IDatabase db)
    {
        ArgumentNullException.ThrowIfNull(db);
        var probe = new float[schema.Dimensions];
        Array.Fill(probe, 1f);
        var args = SearchQueries.Hybrid(Alias, "@tenant:{__streamrag_probe__}", ["probe"], probe, 1, 1, 1, search.Algorithm == "HNSW", search);
        try
        {
            await db.ExecuteAsync("FT.HYBRID", args);
            return (true, "FT.HYBRID answered");
        }
        catch (RedisServerException ex) when (!RedisErrors.IsTransient(ex))
        {
            return (false, ex.Message);
        }
    }

    internal static bool IsUnknownIndex(RedisServerException ex) =>
        ex.Message.Contains("unknown index", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("no such index", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("not found", StringComparison.OrdinalIgnoreCase);

    internal string PhysicalName(int version) => $"{Alias}:v{version.ToString(CultureInfo.InvariantCulture)}";

    private int VersionOf(string physical) =>
        physical.StartsWith(Alias + ":v", StringComparison.Ordinal)
        && int.TryParse(physical.AsSpan(Alias.Length + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : 0;

    private static Task<RedisResult> ExecuteAsync(IDatabase db, SerializedCommand command) =>
        db.ExecuteAsync(command.Command, command.Args);

    /// <summary>Runs a command; an error containing <paramref name="benign"/> means someone else did it first.</summary>
    private static async Task<bool> TryAsync(IDatabase db, SerializedCommand command, string benign)
    {
        try
        {
            await ExecuteAsync(db, command);
            return true;
        }
        catch (RedisServerException ex) when (ex.Message.Contains(benign, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
    }
}
