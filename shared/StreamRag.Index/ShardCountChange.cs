using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>What a change of shard count did (or, when <see cref="Finished"/> is false, has done so far).</summary>
/// <param name="Copied">Documents (live or tombstones) written into the new layout by the copy.</param>
/// <param name="AlreadyThere">Documents the new layout already held at the same or a newer version (written there by the fleet itself).</param>
/// <param name="RemovedKeys">Keys of the old layout removed at the end.</param>
public sealed record ShardCountChangeReport(int From, int To, long Copied, long AlreadyThere, long Tombstones, long RemovedKeys, long PassagesBefore, long PassagesAfter, bool Finished, string Detail)
{
    /// <summary>The one-line summary the admin tools print.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{From} -> {To} shards: {Copied} document(s) copied ({Tombstones} tombstone(s)), {AlreadyThere} already there, {RemovedKeys} old key(s) removed; {PassagesBefore} passage(s) linked before, {PassagesAfter} after; {Detail}");
}

/// <summary>
/// Takes the vector-set index from N to M shards while the fleet runs (docs/keys.md#changing-the-shard-count):
/// <list type="number">
/// <item>records the next layout (new key names, generation + 1): from then on every write goes to both
/// layouts, and the old partitions are fenced so a host that has not seen the change is refused and re-reads it;</item>
/// <item>copies every document (and tombstone) of the old layout into the new one, each only if the new
/// layout does not already hold that or a newer version, until a pass finds no tenant it had not seen;</item>
/// <item>switches: searches and reads go to the new layout, writes only there;</item>
/// <item>removes the old layout's keys once its deletion outboxes are empty (the fences stay).</item>
/// </list>
/// Searches read one complete layout throughout. Each step is recorded in the manifest, so running it
/// again after an interruption goes on from where it stopped.
/// </summary>
public sealed class ShardCountChange(RedisConnections connections, KeySchema keys, IndexOptions settings, TimeProvider time, TextWriter progress)
{
    private const string FenceScript = "if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 0";

    private readonly VectorSetScripts scripts = new(settings);

    /// <summary>How long a step waits for every host to have re-read the layout.</summary>
    public TimeSpan Settle { get; init; } = 3 * IndexLayoutSource.RefreshInterval;

    /// <summary>How long the last step waits for the sweepers to empty the old layout's deletion outboxes.</summary>
    public TimeSpan OutboxDrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public async Task<ShardCountChangeReport> RunAsync(int shards, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shards, RedisOptions.MaxShards);
        var connection = await connections.GetSharedAsync();
        var db = connection.GetDatabase();
        var manifest = await IndexManifestStore.ReadAsync(db, keys);
        if (manifest is not null && manifest.Engine != "vectorset")
        {
            throw new ShardCountChangeException($"the index under prefix '{keys.Prefix}' uses the {manifest.Engine} engine; changing the shard count online is implemented for the vector-set engine only (docs/keys.md#changing-the-shard-count)");
        }

        var state = await IndexLayoutStore.ReadAsync(db, keys);
        var from = state.Next is null && state.Retired is null ? state.Current.Shards : (state.Retired ?? state.Current).Shards;
        if (state.Next is { } pending && pending.Shards != shards)
        {
            throw new ShardCountChangeException(string.Create(CultureInfo.InvariantCulture,
                $"a change from {state.Current.Shards} to {pending.Shards} shards is in progress ({state}); run it again with {pending.Shards} to finish it first"));
        }

        if (state.Next is null && state.Retired is null && state.Current.Shards == shards)
        {
            return new ShardCountChangeReport(from, shards, 0, 0, 0, 0, 0, 0, true, $"nothing to do: {state}");
        }

        if (state.Next is null && state.Retired is not null && state.Current.Shards != shards)
        {
            throw new ShardCountChangeException(string.Create(CultureInfo.InvariantCulture,
                $"the last change (to {state.Current.Shards} shards) has not removed the old layout's keys yet ({state}); run it again with {state.Current.Shards} first"));
        }

        long copied = 0, there = 0, tombstones = 0, before = 0, after = 0;
        if (state.Next is null && state.Retired is null)
        {
            var begun = state with { Number = state.Number + 1, Next = new IndexLayout(state.Current.Generation + 1, shards) };
            await ReplaceAsync(db, state, begun);
            state = begun;
            await progress.WriteLineAsync($"{state}: every write now goes to both layouts");
        }

        if (state.Next is { } next)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                var tenants = (await PartitionReads.TenantsAsync(db, keys)).Where(seen.Add).ToArray();
                if (tenants.Length == 0)
                {
                    break;
                }

                foreach (var tenant in tenants)
                {
                    // Fenced first: from here on no host writes this tenant's old partitions alone.
                    await FenceAsync(db, state.Current.PartitionsOf(keys, tenant), state.Number);
                    var (c, t, s) = await CopyTenantAsync(connection, db, state, tenant, next, cancellationToken);
                    (copied, there, tombstones) = (copied + c, there + t, tombstones + s);
                    await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"tenant {tenant}: {c} document(s) copied, {t} already there ({s} tombstone(s))"));
                }

                // A tenant first written by a host that had not yet re-read the layout has no fence:
                // once every host has, one more pass finds any such tenant.
                await Task.Delay(Settle, time, cancellationToken);
            }

            foreach (var tenant in seen)
            {
                before += await PassagesAsync(db, state.Current, tenant);
                after += await PassagesAsync(db, next, tenant);
            }

            var switched = new IndexLayoutState(state.Number + 1, next, null, state.Current);
            await ReplaceAsync(db, state, switched);
            state = switched;
            foreach (var tenant in seen)
            {
                await FenceAsync(db, switched.Retired!.PartitionsOf(keys, tenant), switched.Number);
            }

            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{state}: searches now read the new layout ({before} passage(s) linked in the old one, {after} in the new)"));
            await Task.Delay(Settle, time, cancellationToken);
        }

        var retired = state.Retired!;
        var allTenants = await PartitionReads.TenantsAsync(db, keys);
        var outboxes = allTenants.SelectMany(t => retired.PartitionsOf(keys, t)).Select(p => p.DeletionOutbox).ToArray();
        var drainedBy = time.GetTimestamp();
        long waiting;
        while ((waiting = await PendingRecordsAsync(db, outboxes)) > 0 && time.GetElapsedTime(drainedBy) < OutboxDrainTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
        }

        var removed = await RemoveLayoutAsync(connection, db, retired, allTenants, keepOutboxes: waiting > 0);
        if (waiting > 0)
        {
            return new ShardCountChangeReport(from, shards, copied, there, tombstones, removed, before, after, false, string.Create(CultureInfo.InvariantCulture,
                $"{waiting} deletion record(s) are still in the old layout's outboxes (is a sweeper running?); they are kept, and so is the record of the old layout: run this again to finish"));
        }

        await ReplaceAsync(db, state, state with { Retired = null });
        return new ShardCountChangeReport(from, shards, copied, there, tombstones, removed, before, after, true,
            string.Create(CultureInfo.InvariantCulture, $"layout {state.Number}: {shards} shard(s) (generation {state.Current.Generation})"));
    }

    private async Task ReplaceAsync(IDatabase db, IndexLayoutState expected, IndexLayoutState next)
    {
        if (!await IndexLayoutStore.ReplaceAsync(db, keys, expected, next))
        {
            throw new ShardCountChangeException($"the layout changed while this change ran ({await IndexLayoutStore.ReadAsync(db, keys)}): is another change running?");
        }
    }

    private static async Task FenceAsync(IDatabase db, IEnumerable<IndexPartition> partitions, long number) =>
        await Task.WhenAll(partitions.Select(p => db.ScriptEvaluateAsync(FenceScript, [p.Fence], [number])));

    /// <summary>Copies one tenant's documents, each one partition at a time, from every old partition into the next layout.</summary>
    private async Task<(long Copied, long There, long Tombstones)> CopyTenantAsync(IConnectionMultiplexer connection, IDatabase db, IndexLayoutState state, string tenant, IndexLayout next, CancellationToken cancellationToken)
    {
        long copied = 0, there = 0, tombstones = 0;
        foreach (var partition in state.Current.PartitionsOf(keys, tenant))
        {
            await foreach (var key in DocumentKeysAsync(connection, partition, cancellationToken))
            {
                var id = ((string)key!)[((string)partition.Document("")!).Length..];
                var fields = (await db.HashGetAllAsync(key)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value, StringComparer.Ordinal);
                if (!fields.TryGetValue("version", out var versionText) || !long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                {
                    continue;
                }

                var target = next.PartitionOf(keys, tenant, id);
                int code;
                if (fields.GetValueOrDefault("deleted") == "1")
                {
                    code = await scripts.DeleteAsync(db, target, state.Number, id, version);
                    tombstones += code == 1 ? 1 : 0;
                }
                else
                {
                    var document = await ReadDocumentAsync(db, partition, tenant, id, version, fields);
                    (code, _) = await scripts.UpsertAsync(db, target, state.Number, document, document.Chunks);
                }

                if (code == 1)
                {
                    copied++;
                }
                else
                {
                    there++;
                }
            }
        }

        return (copied, there, tombstones);
    }

    private static async Task<IndexedDocument> ReadDocumentAsync(IDatabase db, IndexPartition partition, string tenant, string id, long version, Dictionary<string, string?> fields)
    {
        var count = int.Parse(fields.GetValueOrDefault("chunks") ?? "0", CultureInfo.InvariantCulture);
        var links = fields.GetValueOrDefault("links");
        var vectors = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            links is not null && (i >= links.Length || links[i] != '1')
                ? []
                // The stored vector as Redis returns it (dequantized); a passage left out of the graph has none.
                : ((RedisResult[]?)await db.ExecuteAsync("VEMB", partition.VectorSet, $"{id}#{i}"))?.Select(v => (float)(double)v).ToArray() ?? []));
        var chunks = Enumerable.Range(0, count).Select(i => new IndexedChunk(i, fields.GetValueOrDefault($"c:{i}") ?? "", vectors[i])).ToArray();
        var expires = fields.GetValueOrDefault("expires_at");
        var tags = fields.GetValueOrDefault("tags");
        return new IndexedDocument(
            tenant,
            id,
            version,
            fields.GetValueOrDefault("hash") ?? "",
            fields.GetValueOrDefault("source") ?? "",
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields.GetValueOrDefault("ts") ?? "0", CultureInfo.InvariantCulture)),
            string.IsNullOrEmpty(tags) ? [] : tags.Split(','),
            string.IsNullOrEmpty(expires) ? null : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(expires, CultureInfo.InvariantCulture)),
            chunks);
    }

    /// <summary>The partition's document hashes, scanned on the master that holds its hash slot.</summary>
    private static async IAsyncEnumerable<RedisKey> DocumentKeysAsync(IConnectionMultiplexer connection, IndexPartition partition, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var server = connection.GetServers().Single(s => !s.IsReplica && s.IsConnected && (s.ServerType != ServerType.Cluster || OwnsSlot(connection, s, partition.VectorSet)));
        await foreach (var key in server.KeysAsync(pattern: partition.DocumentPattern, pageSize: 500).WithCancellation(cancellationToken))
        {
            yield return key;
        }
    }

    private static bool OwnsSlot(IConnectionMultiplexer connection, IServer server, RedisKey key) =>
        Equals(connection.GetServer(key).EndPoint, server.EndPoint);

    private async Task<long> PassagesAsync(IDatabase db, IndexLayout layout, string tenant) =>
        (await Task.WhenAll(layout.PartitionsOf(keys, tenant).Select(p => db.VectorSetLengthAsync(p.VectorSet)))).Sum();

    private static async Task<long> PendingRecordsAsync(IDatabase db, RedisKey[] outboxes) =>
        (await Task.WhenAll(outboxes.Select(o => db.StreamLengthAsync(o)))).Sum();

    /// <summary>Removes a retired layout's keys, its fences excepted: they keep refusing a host that never re-read the layout.</summary>
    private async Task<long> RemoveLayoutAsync(IConnectionMultiplexer connection, IDatabase db, IndexLayout layout, IReadOnlyList<string> tenants, bool keepOutboxes)
    {
        long removed = 0;
        foreach (var partition in tenants.SelectMany(t => layout.PartitionsOf(keys, t)))
        {
            var batch = new List<RedisKey>(500);
            await foreach (var key in DocumentKeysAsync(connection, partition, CancellationToken.None))
            {
                batch.Add(key);
                if (batch.Count == 500)
                {
                    removed += await UnlinkAsync(db, batch);
                }
            }

            batch.AddRange([partition.VectorSet, partition.ExpiryIndex, partition.Epoch, partition.LinkedCopies]);
            if (!keepOutboxes)
            {
                batch.Add(partition.DeletionOutbox);
            }

            removed += await UnlinkAsync(db, batch);
        }

        return removed;
    }

    // One UNLINK per batch: every key of a partition shares its hash slot.
    private static async Task<long> UnlinkAsync(IDatabase db, List<RedisKey> batch)
    {
        var removed = batch.Count == 0 ? 0 : await db.KeyDeleteAsync(batch.ToArray(), CommandFlags.None);
        batch.Clear();
        return removed;
    }
}

/// <summary>A change of shard count cannot start or go on; the message says why and what to do.</summary>
public sealed class ShardCountChangeException(string message) : Exception(message);
