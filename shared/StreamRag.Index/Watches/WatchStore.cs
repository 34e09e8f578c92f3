using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The registry of standing queries: each tenant's watches are one vector set (query vectors, with
/// filters, threshold, expiry and notification stream as attributes) beside an expiry index and a
/// thresholds index, changed together by one script. Registration (query worker), removal, and the
/// removal of expired watches (sweeper, and every registration of the tenant) live here; matching is
/// <see cref="WatchMatcher"/>.
/// </summary>
public sealed class WatchStore(RedisConnections connections, KeySchema keys, IOptions<WatchOptions> options, TimeProvider time)
{
    private static readonly string AddScript = LuaScripts.Read(typeof(WatchStore), "watch_add.lua");
    private static readonly string RemoveScript = LuaScripts.Read(typeof(WatchStore), "watch_remove.lua");

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
        // The total is counted across tenants (other hash slots), so it is checked before the add:
        // registrations racing each other may pass it by the number in flight.
        if (await CountAsync(cancellationToken) >= settings.MaxTotal && await db.SortedSetScoreAsync(keys.WatchExpiry(tenant), id).WaitAsync(cancellationToken) is null)
        {
            return WatchAddResult.TotalLimit;
        }

        await db.SetAddAsync(keys.WatchTenants, tenant).WaitAsync(cancellationToken);
        var expiresAt = now + watch.Ttl;
        var blob = MemoryMarshal.AsBytes(vector.Span).ToArray();
        var result = (int)await db.ScriptEvaluateAsync(AddScript, [keys.WatchSet(tenant), keys.WatchExpiry(tenant), keys.WatchThresholds(tenant)],
        [
            id, blob, WatchAttributes.Build(filters, watch.Threshold, expiresAt, watch.NotifyTo), watch.Threshold,
            expiresAt.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), settings.MaxPerTenant, settings.Quantization,
        ]).WaitAsync(cancellationToken);
        return result == 1 ? WatchAddResult.Added : WatchAddResult.TenantLimit;
    }

    /// <summary>Removes a watch; false when the tenant has no live watch of that id.</summary>
    public async Task<bool> RemoveAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        return (int)await db.ScriptEvaluateAsync(RemoveScript, [keys.WatchSet(tenant), keys.WatchExpiry(tenant), keys.WatchThresholds(tenant)],
            [id, time.GetUtcNow().ToUnixTimeMilliseconds(), 0]).WaitAsync(cancellationToken) == 1;
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
            removed += (long)await db.ScriptEvaluateAsync(RemoveScript, [keys.WatchSet(t), keys.WatchExpiry(t), keys.WatchThresholds(t)], ["", now, batch]).WaitAsync(cancellationToken);
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
