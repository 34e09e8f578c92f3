using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The registry of standing queries: each tenant's watches are one vector set (query vectors, with
/// filters, threshold, expiry and notification stream as attributes) beside an expiry index and a
/// thresholds index, changed together (a transaction; the sweeper's removal of expired watches, a
/// script). Registration and removal (query worker) and the removal of expired watches (sweeper)
/// live here; matching is <see cref="WatchMatcher"/>.
/// </summary>
public sealed class WatchStore(RedisConnections connections, KeySchema keys, IOptions<WatchOptions> options, TimeProvider time)
{
    /// <summary>Optimistic transactions that lose a race are tried again up to this many times.</summary>
    private const int MaxAttempts = 10;

    private static readonly string ExpireScript = LuaScripts.Read(typeof(WatchStore), "watch_expire.lua");

    /// <summary>The watch id of a request: the same for a redelivered request, so registering twice adds one watch.</summary>
    public static string IdOf(string tenant, string requestId, string entryId)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{tenant}\n{requestId}\n{entryId}"));
        return "w" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }

    /// <summary>The namespace <c>notify_to</c> streams must be in (<see cref="KeySchema.WatchStreamPrefix"/>).</summary>
    public string NotifyPrefix => keys.WatchStreamPrefix;

    /// <summary><see cref="WatchOptions.MaxPerTenant"/>.</summary>
    public int MaxPerTenant => options.Value.MaxPerTenant;

    /// <summary><see cref="WatchOptions.MaxTotal"/>.</summary>
    public int MaxTotal => options.Value.MaxTotal;

    /// <summary>Whether a stream key is in the namespace notifications may go to.</summary>
    public bool IsNotifyStream(string key) => key.StartsWith(keys.WatchStreamPrefix, StringComparison.Ordinal) && key.Length > keys.WatchStreamPrefix.Length;

    /// <summary>Registers a watch; false when a limit (per tenant or in total) is reached.</summary>
    public async Task<WatchAddResult> AddAsync(string tenant, string id, ReadOnlyMemory<float> vector, QueryFilters filters, WatchRequest watch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        var settings = options.Value;
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var now = time.GetUtcNow();
        var (set, expiry, thresholds) = (keys.WatchSet(tenant), keys.WatchExpiry(tenant), keys.WatchThresholds(tenant));
        // A watch registered already (a redelivered request) is renewed, whatever the limits.
        var known = await db.SortedSetScoreAsync(expiry, id).WaitAsync(cancellationToken) is not null;
        // The total is counted across tenants (other hash slots), so it is checked before the add:
        // registrations racing each other may pass it by the number in flight.
        if (!known && await CountAsync(cancellationToken) >= settings.MaxTotal)
        {
            return WatchAddResult.TotalLimit;
        }

        await db.SetAddAsync(keys.WatchTenants, tenant).WaitAsync(cancellationToken);
        var expiresAt = (now + watch.Ttl).ToUnixTimeMilliseconds();
        var attributes = WatchAttributes.Build(filters, watch.Threshold, DateTimeOffset.FromUnixTimeMilliseconds(expiresAt), watch.NotifyTo);
        var blob = MemoryMarshal.AsBytes(vector.Span).ToArray();
        // Live watches are those expiring after now; an expired one no longer counts against the limit.
        var live = now.ToUnixTimeMilliseconds() + 0.5;
        // A transaction, not a script: the query worker's ACL user runs no scripts. The limit holds
        // through its conditions (WATCH): a registration racing another is tried again.
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var add = db.CreateTransaction();
            if (known)
            {
                add.AddCondition(Condition.SortedSetContains(expiry, id));
            }
            else
            {
                add.AddCondition(Condition.SortedSetNotContains(expiry, id));
                add.AddCondition(Condition.SortedSetLengthLessThan(expiry, settings.MaxPerTenant, live, double.PositiveInfinity));
            }

            _ = add.ExecuteAsync("VADD", set, "FP32", blob, id, settings.Quantization, "SETATTR", attributes);
            _ = add.SortedSetAddAsync(expiry, id, expiresAt);
            _ = add.SortedSetAddAsync(thresholds, id, watch.Threshold);
            if (await add.ExecuteAsync().WaitAsync(cancellationToken))
            {
                return WatchAddResult.Added;
            }

            if (!known && await db.SortedSetLengthAsync(expiry, live, double.PositiveInfinity).WaitAsync(cancellationToken) >= settings.MaxPerTenant)
            {
                return WatchAddResult.TenantLimit;
            }

            // Lost a race: the watch may have been added (or removed) meanwhile.
            known = await db.SortedSetScoreAsync(expiry, id).WaitAsync(cancellationToken) is not null;
        }

        throw new InvalidOperationException($"the watches of tenant '{tenant}' kept changing during {MaxAttempts} attempts to register one; try again");
    }

    /// <summary>Removes a watch; false when the tenant has no live watch of that id.</summary>
    public async Task<bool> RemoveAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var expires = await db.SortedSetScoreAsync(keys.WatchExpiry(tenant), id).WaitAsync(cancellationToken);
        var remove = db.CreateTransaction();
        _ = remove.ExecuteAsync("VREM", keys.WatchSet(tenant), id);
        _ = remove.SortedSetRemoveAsync(keys.WatchExpiry(tenant), id);
        _ = remove.SortedSetRemoveAsync(keys.WatchThresholds(tenant), id);
        await remove.ExecuteAsync().WaitAsync(cancellationToken);
        return expires > time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Removes expired watches of every tenant, at most <paramref name="batch"/> per tenant; returns how many.</summary>
    public async Task<long> RemoveExpiredAsync(int batch, CancellationToken cancellationToken)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long removed = 0;
        foreach (var tenant in await db.SetMembersAsync(keys.WatchTenants).WaitAsync(cancellationToken))
        {
            var t = (string)tenant!;
            removed += (long)await db.ScriptEvaluateAsync(ExpireScript, [keys.WatchSet(t), keys.WatchExpiry(t), keys.WatchThresholds(t)], [now, batch]).WaitAsync(cancellationToken);
        }

        return removed;
    }

    /// <summary>Watches registered and not yet removed, all tenants (expired ones count until removed).</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var tenants = await db.SetMembersAsync(keys.WatchTenants).WaitAsync(cancellationToken);
        var counts = await Task.WhenAll(tenants.Select(t => db.SortedSetLengthAsync(keys.WatchExpiry((string)t!)))).WaitAsync(cancellationToken);
        return counts.Sum();
    }
}
