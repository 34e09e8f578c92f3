using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Index.Search;
using StreamRag.Redis;

namespace StreamRag.Admin;

/// <summary>Reads <see cref="FleetStatus"/> from Redis alone (nothing is written).</summary>
public sealed class FleetStatusReader(RedisConnections connections, KeySchema keys)
{
    /// <summary>How many of the newest alert-stream entries are read to find each firing alert's summary.</summary>
    public const int AlertEntriesRead = 500;

    public async Task<FleetStatus> ReadAsync(CancellationToken cancellationToken)
    {
        var mux = await connections.GetSharedAsync();
        var db = mux.GetDatabase();
        var server = RedisPrimaries.Of(mux).FirstOrDefault() ?? throw new InvalidOperationException("no Redis primary is connected");
        var (used, max) = await RedisPrimaries.FullestMemoryAsync(mux) ?? (0, 0);
        var streams = new List<StreamStatus>
        {
            new(keys.DocumentEvents.ToString(), await db.StreamLengthAsync(keys.DocumentEvents), await GroupAsync(db, keys.DocumentEvents, keys.EmbedderGroup)),
            new(keys.QueryRequests.ToString(), await db.StreamLengthAsync(keys.QueryRequests), await GroupAsync(db, keys.QueryRequests, keys.QueryGroup)),
            new(keys.QueryMetrics.ToString(), await db.StreamLengthAsync(keys.QueryMetrics), await GroupAsync(db, keys.QueryMetrics, keys.MonitorGroup)),
            new(keys.Alerts.ToString(), await db.StreamLengthAsync(keys.Alerts), null),
            new(keys.DocumentDeletions.ToString(), await db.StreamLengthAsync(keys.DocumentDeletions), null),
        };
        var store = new DeadLetterStore(db, keys);
        var dead = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var stream in DeadLetterStore.Both)
        {
            dead[store.KeyOf(stream).ToString()] = await store.CountAsync(stream);
        }

        var settings = await db.HashGetAsync(keys.Settings, SettingsFields.SearchEf);
        var evaluatedAt = await db.HashGetAsync(keys.MonitorStatus, "evaluated_at");
        return new FleetStatus(
            keys.Prefix,
            server.Version.ToString(),
            used,
            max,
            await IndexAsync(db, cancellationToken),
            streams,
            dead,
            await AlertsAsync(db),
            long.TryParse((string?)settings, NumberStyles.None, CultureInfo.InvariantCulture, out var ef) ? ef : null,
            long.TryParse((string?)evaluatedAt, NumberStyles.None, CultureInfo.InvariantCulture, out var at) ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
    }

    private async Task<IndexSummary> IndexAsync(IDatabase db, CancellationToken cancellationToken)
    {
        var manifest = await IndexManifestStore.ReadAsync(db, keys);
        var model = manifest?.Model?.ToString();
        var tenants = (int)await db.SetLengthAsync(keys.Tenants);
        if (manifest?.Engine == "search")
        {
            // Read-only: the engine's own GetStatsAsync would create a missing index.
            var status = await new SearchIndexAdmin(keys, new IndexOptions()).InspectAsync(db, cancellationToken);
            return new IndexSummary(manifest.Engine, model, tenants, status?.Documents ?? 0, status?.TotalMemoryBytes ?? 0);
        }

        var stats = await new VectorSetIndex(connections, keys, Options.Create(new IndexOptions())).GetStatsAsync(cancellationToken);
        var layout = await IndexLayoutStore.ReadAsync(db, keys);
        return new IndexSummary(manifest?.Engine, model, stats.Tenants, stats.Vectors, stats.MemoryBytes, layout.ToString());
    }

    private static async Task<GroupStatus?> GroupAsync(IDatabase db, RedisKey stream, string group)
    {
        if (!await db.KeyExistsAsync(stream))
        {
            return new GroupStatus(group, false, null, 0, 0, 0);
        }

        var info = (await db.StreamGroupInfoAsync(stream)).FirstOrDefault(g => g.Name == group);
        if (info.Name is null)
        {
            return new GroupStatus(group, false, null, 0, 0, 0);
        }

        var live = await Client.FleetPresence.LiveConsumersAsync(db, stream, group, Client.FleetPresence.DefaultSeenWithin);
        return new GroupStatus(group, true, info.Lag, info.PendingMessageCount, info.ConsumerCount, live);
    }

    private async Task<IReadOnlyList<ActiveAlert>> AlertsAsync(IDatabase db)
    {
        // State values are "firing|since|0" or "resolved|since|quiet-until" per "rule" or "rule|subject".
        var firing = (await db.HashGetAllAsync(keys.AlertStates))
            .Select(e => (Key: (string)e.Name!, Parts: ((string?)e.Value ?? "").Split('|')))
            .Where(e => e.Parts[0] == "firing")
            .ToArray();
        if (firing.Length == 0)
        {
            return [];
        }

        var latest = new Dictionary<string, StreamEntry>(StringComparer.Ordinal);
        foreach (var entry in await db.StreamRangeAsync(keys.Alerts, "-", "+", AlertEntriesRead, Order.Descending))
        {
            var key = (string?)entry[AlertFields.Subject] is { Length: > 0 } subject ? $"{entry[AlertFields.Rule]}|{subject}" : (string?)entry[AlertFields.Rule] ?? "";
            latest.TryAdd(key, entry);
        }

        return firing.Select(f =>
        {
            var split = f.Key.Split('|', 2);
            latest.TryGetValue(f.Key, out var entry);
            var since = f.Parts.Length > 1 && long.TryParse(f.Parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
            return new ActiveAlert(split[0], split.Length > 1 ? split[1] : "", since, entry.IsNull ? null : (string?)entry[AlertFields.Severity], entry.IsNull ? null : (string?)entry[AlertFields.Summary]);
        }).OrderBy(a => a.Rule, StringComparer.Ordinal).ThenBy(a => a.Subject, StringComparer.Ordinal).ToArray();
    }
}
