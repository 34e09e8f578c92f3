using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Monitor.Dashboard;

/// <summary>
/// What the dashboard shows: after each evaluation the monitor hands over its snapshot, and the feed
/// adds the few figures the alert rules do not need (the embedders' read position and the age of the
/// oldest document change not yet indexed, the newest alert transitions, the live settings), keeps a
/// bounded history ring of points for the charts, and answers the page from memory, so any number of
/// open pages cost Redis nothing. Does nothing while the dashboard is off.
/// </summary>
internal sealed class DashboardFeed(
    IOptions<DashboardOptions> options,
    IOptions<MonitorOptions> monitorOptions,
    IOptions<TuningOptions> tuningOptions,
    KeySchema keys,
    TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly Queue<DashboardPoint> history = new();
    private readonly Dictionary<string, DashboardAlert> lastFired = new(StringComparer.Ordinal);
    private (long At, long EntriesRead)? lastRead;
    private IReadOnlyList<DashboardGroup> groups = [];
    private IReadOnlyList<DashboardDeadLetters> deadLetters = [];
    private IReadOnlyList<DashboardAlert> active = [];
    private IReadOnlyList<DashboardAlert> recent = [];
    private DashboardSettings? settings;

    public bool Enabled => options.Value.Enabled;

    public async Task RecordAsync(MonitorSnapshot snapshot, IDatabase db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(db);
        if (!Enabled)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var now = snapshot.At.ToUnixTimeMilliseconds();
        var (entriesRead, backlogAge) = await ReadIngestionAsync(db, now);
        var transitions = await ReadRecentAlertsAsync(db);
        var states = await db.HashGetAllAsync(keys.AlertStates);
        var live = await db.HashGetAsync(keys.Settings, [SettingsFields.SearchEf, SettingsFields.SearchEfReason, SettingsFields.SearchEfChangedAt]);

        lock (gate)
        {
            double eventsPerSecond = 0;
            if (entriesRead is { } read && lastRead is { } last && now > last.At)
            {
                // entries-read only grows (a group recreated from scratch starts over: no negative rate).
                eventsPerSecond = Math.Max(0, read - last.EntriesRead) * 1000.0 / (now - last.At);
            }

            lastRead = entriesRead is { } r ? (now, r) : null;
            foreach (var t in transitions.Where(t => t.State == AlertFields.StateFiring).Reverse())
            {
                lastFired[t.Key] = t;
            }

            active = ActiveAlerts(states);
            recent = transitions;
            var t0 = tuningOptions.Value;
            settings = new DashboardSettings(
                ParseInt(live[0]), live[1].IsNullOrEmpty ? null : live[1].ToString(), ParseLong(live[2]),
                t0.Enabled, t0.MinEf, t0.MaxEf, t0.RecallFloor, t0.LatencyBudgetMs);
            groups = snapshot.Redis.Groups
                .Select(g => new DashboardGroup(g.Stream, g.Group, g.Role, g.Exists, g.Lag ?? 0, g.Pending, g.Consumers, g.LiveConsumers))
                .ToArray();
            deadLetters = snapshot.Redis.DeadLetterLengths
                .Select(d => new DashboardDeadLetters(d.Key, d.Value, snapshot.DeadLettersAdded.GetValueOrDefault(d.Key)))
                .ToArray();

            history.Enqueue(Point(snapshot, eventsPerSecond, backlogAge, settings.SearchEf, active.Count));
            while (history.Count > options.Value.HistoryPoints)
            {
                history.Dequeue();
            }
        }
    }

    public DashboardStatus Status()
    {
        lock (gate)
        {
            var points = history.ToArray();
            IReadOnlyList<double?> Column(Func<DashboardPoint, double?> read) => points.Select(read).ToArray();
            var columns = new Dictionary<string, IReadOnlyList<double?>>(StringComparer.Ordinal)
            {
                ["t"] = Column(p => p.At),
                ["qps"] = Column(p => p.QueriesPerSecond),
                ["p50"] = Column(p => p.LatencyP50Ms),
                ["p95"] = Column(p => p.LatencyP95Ms),
                ["p99"] = Column(p => p.LatencyP99Ms),
                ["searchP95"] = Column(p => p.SearchP95Ms),
                ["eventsPerSecond"] = Column(p => p.EventsPerSecond),
                ["backlogAgeMs"] = Column(p => p.BacklogAgeMs),
                ["eventsLag"] = Column(p => p.EventsLag),
                ["eventsPending"] = Column(p => p.EventsPending),
                ["queriesLag"] = Column(p => p.QueriesLag),
                ["queriesPending"] = Column(p => p.QueriesPending),
                ["usedMemory"] = Column(p => p.UsedMemoryBytes),
                ["maxMemory"] = Column(p => p.MaxMemoryBytes),
                ["vectors"] = Column(p => p.Vectors),
                ["watches"] = Column(p => p.Watches),
                ["indexMemory"] = Column(p => p.IndexMemoryBytes),
                ["searchEf"] = Column(p => p.SearchEf),
                ["recall"] = Column(p => p.Recall),
                ["alertsFiring"] = Column(p => p.AlertsFiring),
            };
            return new DashboardStatus(
                time.GetUtcNow().ToUnixTimeMilliseconds(),
                (long)options.Value.RefreshInterval.TotalMilliseconds,
                monitorOptions.Value.Window.TotalSeconds,
                (long)monitorOptions.Value.EvaluationInterval.TotalMilliseconds,
                points.Length == 0 ? null : points[^1],
                columns,
                groups,
                deadLetters,
                active,
                recent,
                settings);
        }
    }

    private DashboardPoint Point(MonitorSnapshot s, double eventsPerSecond, double? backlogAge, int? ef, int firing)
    {
        var w = s.Window;
        var r = s.Redis;
        GroupState? Group(RedisKey stream, string name) => r.Groups.FirstOrDefault(g => g.Stream == stream.ToString() && g.Group == name);
        var events = Group(keys.DocumentEvents, keys.EmbedderGroup);
        var queries = Group(keys.QueryRequests, keys.QueryGroup);
        return new DashboardPoint(
            s.At.ToUnixTimeMilliseconds(),
            w.QueriesPerSecond, w.Queries, w.Errors, w.Total.P50, w.Total.P95, w.Total.P99, w.Search.P95, w.CacheHitRate,
            eventsPerSecond, backlogAge,
            events?.Lag ?? 0, events?.Pending ?? 0, queries?.Lag ?? 0, queries?.Pending ?? 0,
            r.UsedMemory, r.MaxMemory, r.Index.Vectors, r.Index.MemoryBytes, r.Watches,
            s.Tuning?.Ef ?? ef, s.Tuning?.Measurement.Recall, firing);
    }

    /// <summary>
    /// The embedders' read position (XINFO GROUPS entries-read) and how long the oldest document change
    /// not yet acknowledged has waited (from its stream id: the oldest pending entry, else the first one
    /// not yet delivered); 0 when the index has caught up, null when there is no group yet.
    /// </summary>
    private async Task<(long? EntriesRead, double? BacklogAgeMs)> ReadIngestionAsync(IDatabase db, long nowMs)
    {
        if (!await db.KeyExistsAsync(keys.DocumentEvents))
        {
            return (null, null);
        }

        var infos = await db.StreamGroupInfoAsync(keys.DocumentEvents);
        var matches = infos.Where(g => g.Name == keys.EmbedderGroup).ToArray();
        if (matches.Length == 0)
        {
            return (null, null);
        }

        var group = matches[0];
        string? oldest;
        if (group.PendingMessageCount > 0)
        {
            oldest = (await db.StreamPendingAsync(keys.DocumentEvents, keys.EmbedderGroup)).LowestPendingMessageId.ToString();
        }
        else
        {
            var next = await db.StreamRangeAsync(keys.DocumentEvents, $"({group.LastDeliveredId ?? "0-0"}", "+", count: 1);
            oldest = next.Length == 0 ? null : next[0].Id.ToString();
        }

        var age = oldest is null ? 0 : RedisProbe.AgeOf(oldest, nowMs) ?? 0;
        return (group.EntriesRead, age);
    }

    private async Task<IReadOnlyList<DashboardAlert>> ReadRecentAlertsAsync(IDatabase db)
    {
        var entries = await db.StreamRangeAsync(keys.Alerts, "-", "+", options.Value.RecentAlerts, Order.Descending);
        return entries.Select(e =>
        {
            string F(string name) => e[name].IsNull ? "" : e[name].ToString();
            var rule = F(AlertFields.Rule);
            var subject = F(AlertFields.Subject);
            var at = ParseLong(e[AlertFields.At]) ?? 0;
            return new DashboardAlert(
                subject.Length == 0 ? rule : $"{rule}|{subject}", rule, subject, F(AlertFields.State), F(AlertFields.Severity),
                F(AlertFields.Summary), F(AlertFields.Action), at, ParseLong(e[AlertFields.Since]) ?? at);
        }).ToArray();
    }

    /// <summary>Alerts firing now per the alert-state hash (<c>firing|since|…</c>), with the details of their firing entry when seen.</summary>
    private List<DashboardAlert> ActiveAlerts(HashEntry[] states)
    {
        var firing = new List<DashboardAlert>();
        foreach (var state in states)
        {
            var parts = state.Value.ToString().Split('|');
            if (parts[0] != AlertFields.StateFiring)
            {
                continue;
            }

            var key = state.Name.ToString();
            var since = parts.Length > 1 && long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 0;
            var bar = key.IndexOf('|', StringComparison.Ordinal);
            firing.Add(lastFired.TryGetValue(key, out var seen)
                ? seen with { Since = since == 0 ? seen.Since : since }
                : new DashboardAlert(key, bar < 0 ? key : key[..bar], bar < 0 ? "" : key[(bar + 1)..], AlertFields.StateFiring, "", "", "", since, since));
        }

        // Forget the details of alerts no longer firing: the map stays as small as the set firing.
        foreach (var key in lastFired.Keys.Where(k => firing.All(a => a.Key != k)).ToArray())
        {
            lastFired.Remove(key);
        }

        return firing.OrderByDescending(a => a.Since).ThenBy(a => a.Key, StringComparer.Ordinal).ToList();
    }

    private static int? ParseInt(RedisValue value) => value.TryParse(out int v) ? v : null;

    private static long? ParseLong(RedisValue value) => value.TryParse(out long v) ? v : null;
}
