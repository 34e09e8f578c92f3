using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

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
/// again after an interruption goes on from where it stopped (<see cref="ShardCountChangeAction.Resumed"/>);
/// running it with the old count before the switch abandons the change (<see cref="ShardCountChangeAction.RolledBack"/>).
/// </summary>
public sealed partial class ShardCountChange(RedisConnections connections, KeySchema keys, IndexOptions settings, TimeProvider time, TextWriter progress)
{
    private static readonly string FenceScript = PartitionScripts.Read("raise_fence.lua");

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
        var (action, from) = Decide(state, shards);
        if (action == ShardCountChangeAction.NothingToDo)
        {
            return new ShardCountChangeReport(from, shards, 0, 0, 0, 0, 0, 0, true, $"nothing to do: {state}", action);
        }

        var counts = new CopyCounts();
        long before = 0, after = 0;
        if (action == ShardCountChangeAction.Started)
        {
            var begun = state with { Number = state.Number + 1, Next = new IndexLayout(state.Current.Generation + 1, shards) };
            await ReplaceAsync(db, state, begun);
            state = begun;
            await progress.WriteLineAsync($"{state}: every write now goes to both layouts");
        }
        else if (action == ShardCountChangeAction.RolledBack && state.Next is { } abandoned)
        {
            // Before the switch searches still read the current layout, which every write has reached
            // throughout: abandoning the next one loses nothing. It is retired like an old layout (fenced,
            // then its keys removed), so an interrupted rollback is finished by running this again.
            var back = new IndexLayoutState(state.Number + 1, state.Current, null, abandoned);
            await ReplaceAsync(db, state, back);
            state = back;
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"rolling back the change to {abandoned.Shards} shards: {state}; writes go to the current layout only"));
        }
        else if (action == ShardCountChangeAction.RolledBack)
        {
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"finishing the rollback of the change to {state.Retired!.Shards} shards: {state}"));
        }
        else
        {
            await progress.WriteLineAsync($"resuming the change to {shards} shards from the step recorded: {state}");
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
                    var tenantCounts = await CopyTenantAsync(connection, db, state, tenant, next, cancellationToken);
                    counts.Add(tenantCounts);
                    await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"tenant {tenant}: {tenantCounts.Copied} document(s) copied, {tenantCounts.There} already there ({tenantCounts.Tombstones} tombstone(s)), {tenantCounts.MovedOn} changed while copied"));
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

            // One transaction on the manifest: the layout is either still changing or switched, never half.
            var switched = new IndexLayoutState(state.Number + 1, next, null, state.Current);
            await ReplaceAsync(db, state, switched);
            state = switched;
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{state}: searches now read the new layout ({before} passage(s) linked in the old one, {after} in the new)"));
        }

        var retired = state.Retired!;
        // Fenced at the number that retired it, for every tenant known now (one first written after the
        // last copy pass too), before waiting for the hosts: a host still writing under an older number is
        // refused from here on instead of writing the keys again once they are removed. Again on a re-run,
        // since an interruption may have come between the record and the fences.
        var allTenants = await PartitionReads.TenantsAsync(db, keys);
        foreach (var tenant in allTenants)
        {
            await FenceAsync(db, retired.PartitionsOf(keys, tenant), state.Number);
        }

        await Task.Delay(Settle, time, cancellationToken);
        var outboxes = allTenants.SelectMany(t => retired.PartitionsOf(keys, t)).Select(p => p.DeletionOutbox).ToArray();
        var drainedBy = time.GetTimestamp();
        long waiting;
        while ((waiting = await PendingRecordsAsync(db, outboxes)) > 0 && time.GetElapsedTime(drainedBy) < OutboxDrainTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
        }

        var removed = await RemoveLayoutAsync(connection, db, retired, allTenants, keepOutboxes: waiting > 0, cancellationToken);
        if (waiting > 0)
        {
            return Report(false, string.Create(CultureInfo.InvariantCulture,
                $"{waiting} deletion record(s) are still in the old layout's outboxes (is a sweeper running?); they are kept, and so is the record of the old layout: run this again to finish"));
        }

        await ReplaceAsync(db, state, state with { Retired = null });
        return Report(true, string.Create(CultureInfo.InvariantCulture, $"layout {state.Number}: {state.Current.Shards} shard(s) (generation {state.Current.Generation})"));

        ShardCountChangeReport Report(bool finished, string detail) =>
            new(from, shards, counts.Copied, counts.There, counts.Tombstones, removed, before, after, finished, detail, action, counts.MovedOn);
    }

    /// <summary>
    /// What to do with the recorded layout when asked for <paramref name="shards"/>, and the shard count searches
    /// read before the change; throws when the request does not fit the change in progress.
    /// </summary>
    private static (ShardCountChangeAction Action, int From) Decide(IndexLayoutState state, int shards)
    {
        switch (state)
        {
            case { Next: null, Retired: null }:
                return (state.Current.Shards == shards ? ShardCountChangeAction.NothingToDo : ShardCountChangeAction.Started, state.Current.Shards);
            case { Next: { } pending } when pending.Shards == shards:
                return (ShardCountChangeAction.Resumed, state.Current.Shards);
            case { Next: { } pending } when state.Current.Shards == shards:
                return (ShardCountChangeAction.RolledBack, pending.Shards);
            case { Next: { } pending }:
                throw new ShardCountChangeException(string.Create(CultureInfo.InvariantCulture,
                    $"a change from {state.Current.Shards} to {pending.Shards} shards is in progress ({state}); run it again with {pending.Shards} to finish it, or with {state.Current.Shards} to roll it back"));
            case { Retired: { } retired } when state.Current.Shards == shards:
                // A retired generation newer than the current one is an abandoned change: its removal is what is left of the rollback.
                return (retired.Generation > state.Current.Generation ? ShardCountChangeAction.RolledBack : ShardCountChangeAction.Resumed, retired.Shards);
            case { Retired: { } abandoned } when abandoned.Generation > state.Current.Generation:
                throw new ShardCountChangeException(string.Create(CultureInfo.InvariantCulture,
                    $"the change to {abandoned.Shards} shards was rolled back but its keys are not removed yet ({state}); run it again with {state.Current.Shards} first"));
            default:
                throw new ShardCountChangeException(string.Create(CultureInfo.InvariantCulture,
                    $"the last change (to {state.Current.Shards} shards) has switched but not removed the old layout's keys yet ({state}); run it again with {state.Current.Shards} first"));
        }
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
    private async Task<long> RemoveLayoutAsync(IConnectionMultiplexer connection, IDatabase db, IndexLayout layout, IReadOnlyList<string> tenants, bool keepOutboxes, CancellationToken cancellationToken)
    {
        long removed = 0;
        foreach (var partition in tenants.SelectMany(t => layout.PartitionsOf(keys, t)))
        {
            var batch = new List<RedisKey>(500);
            await foreach (var key in DocumentKeysAsync(connection, partition, cancellationToken))
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
