using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Index;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>
/// Reads Redis for the monitor: INFO memory/clients/stats, index size and memory, stream lengths,
/// consumer-group lag and pending, live consumers, dead-letter lengths. About a dozen commands per
/// evaluation plus two per index partition, whatever the traffic. On a Redis Cluster INFO is read
/// from every master: memory is that of the master nearest its maxmemory (it refuses writes
/// first), clients, ops and evictions are summed.
/// </summary>
internal sealed class RedisProbe(RedisConnections connections, KeySchema keys, IVectorIndex index, WatchStore watches, IOptions<AlertOptions> alerts, TimeProvider time) : IAsyncDisposable
{
    /// <summary>Pending entries looked at per group and evaluation (the oldest ones): bounds the probe's work.</summary>
    public const int MaxPendingExamined = 1_000;

    private static readonly string[] InfoSections = ["memory", "clients", "stats"];
    private readonly Lazy<Task<ConnectionMultiplexer>> admin = new(() => connections.ConnectAdminAsync("monitor:info"));

    /// <summary>The groups watched: one entry per stream partition (each its own stream, and its own <c>stream</c> label).</summary>
    public IReadOnlyList<WatchedGroup> Groups { get; } =
    [
        .. keys.DocumentEventStreams.Select(p => new WatchedGroup(p.Stream, keys.EmbedderGroup, "embedder", true)),
        .. keys.QueryRequestStreams.Select(p => new WatchedGroup(p.Stream, keys.QueryGroup, "query worker", true)),
        new(keys.QueryMetrics, keys.MonitorGroup, "monitor", false),
    ];

    public IReadOnlyList<RedisKey> Streams { get; } =
        [.. keys.DocumentEventStreams.Select(p => p.Stream), .. keys.QueryRequestStreams.Select(p => p.Stream), keys.QueryMetrics, keys.DocumentDeletions, keys.Alerts];

    public IReadOnlyList<RedisKey> DeadLetters { get; } =
        [.. keys.DocumentEventStreams.Select(p => p.DeadLetters), .. keys.QueryRequestStreams.Select(p => p.DeadLetters)];

    public async Task<RedisSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var adminMux = await admin.Value;
        var infoTasks = RedisPrimaries.Of(adminMux).Select(ReadInfoAsync).ToArray();
        var lengths = Streams.Concat(DeadLetters).Select(k => (Key: k, Length: db.StreamLengthAsync(k))).ToArray();
        var groups = Groups.Select(g => ReadGroupAsync(db, g)).ToArray();
        var stats = index.GetStatsAsync(cancellationToken);
        var watchCount = watches.CountAsync(cancellationToken);

        var infos = await Task.WhenAll(infoTasks);
        var fullest = infos.Length == 0 ? (0, 0) : RedisPrimaries.Fullest(infos.Select(i => (Long(i, "used_memory"), Long(i, "maxmemory"))));
        await Task.WhenAll(lengths.Select(l => l.Length));
        var streamLengths = lengths.Take(Streams.Count).ToDictionary(l => l.Key.ToString(), l => l.Length.Result, StringComparer.Ordinal);
        var deadLengths = lengths.Skip(Streams.Count).ToDictionary(l => l.Key.ToString(), l => l.Length.Result, StringComparer.Ordinal);
        var groupStates = (await Task.WhenAll(groups)).OfType<GroupState>().ToArray();

        return new RedisSnapshot(
            fullest.Used,
            fullest.Max,
            infos.Sum(i => Long(i, "connected_clients")),
            infos.Sum(i => Long(i, "blocked_clients")),
            infos.Sum(i => Double(i, "instantaneous_ops_per_sec")),
            infos.Sum(i => Long(i, "evicted_keys")),
            await stats,
            streamLengths,
            deadLengths,
            groupStates,
            await watchCount);
    }

    private static async Task<Dictionary<string, string>> ReadInfoAsync(IServer server) =>
        ParseInfo(string.Join('\n', await Task.WhenAll(InfoSections.Select(section => server.InfoRawAsync(section)))));

    private async Task<GroupState?> ReadGroupAsync(IDatabase db, WatchedGroup watched)
    {
        if (!await db.KeyExistsAsync(watched.Stream))
        {
            // Nothing was ever produced or consumed there: nothing to watch yet.
            return null;
        }

        var infos = await db.StreamGroupInfoAsync(watched.Stream);
        var matches = infos.Where(g => g.Name == watched.Group).ToArray();
        if (matches.Length == 0)
        {
            return new GroupState(watched.Stream.ToString(), watched.Group, watched.Role, watched.NeedsLiveConsumer, false, null, 0, 0, 0);
        }

        var info = matches[0];
        var consumers = info.ConsumerCount == 0 ? [] : await db.StreamConsumerInfoAsync(watched.Stream, watched.Group);
        var idle = info.PendingMessageCount == 0 ? null : await ReadPendingIdleAsync(db, watched);
        return new GroupState(
            watched.Stream.ToString(),
            watched.Group,
            watched.Role,
            watched.NeedsLiveConsumer,
            true,
            info.Lag,
            info.PendingMessageCount,
            info.ConsumerCount,
            ConsumerLiveness.CountLive(consumers, alerts.Value.ConsumerDeadAfter),
            idle);
    }

    /// <summary>XPENDING (extended form) over the oldest pending entries: the longest idle, and how many exceed the threshold.</summary>
    private async Task<PendingIdle> ReadPendingIdleAsync(IDatabase db, WatchedGroup watched)
    {
        var reply = (RedisResult[])(await db.ExecuteAsync("XPENDING", watched.Stream, watched.Group, "-", "+", MaxPendingExamined))!;
        var threshold = (long)alerts.Value.MaxPendingIdle.TotalMilliseconds;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        PendingEntry? longest = null;
        var stuck = 0;
        foreach (var item in reply)
        {
            var fields = (RedisResult[])item!;
            var entry = new PendingEntry((string)fields[0]!, (string)fields[1]!, (long)fields[2], (long)fields[3], AgeOf((string)fields[0]!, now));
            stuck += entry.IdleMs > threshold ? 1 : 0;
            if (longest is null || entry.IdleMs > longest.IdleMs)
            {
                longest = entry;
            }
        }

        return new PendingIdle(longest?.IdleMs ?? 0, reply.Length, stuck, longest);
    }

    /// <summary>Milliseconds since the entry was added, from the time part of its id; null for an id whose time lies ahead (set by hand).</summary>
    internal static long? AgeOf(string id, long nowMs)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return long.TryParse(dash < 0 ? id : id[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= nowMs ? nowMs - ms : null;
    }

    internal static Dictionary<string, string> ParseInfo(string info)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !line.StartsWith('#'))
            {
                values[line[..colon]] = line[(colon + 1)..].TrimEnd('\r');
            }
        }

        return values;
    }

    private static long Long(Dictionary<string, string> info, string name) =>
        info.TryGetValue(name, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static double Double(Dictionary<string, string> info, string name) =>
        info.TryGetValue(name, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;

    public async ValueTask DisposeAsync()
    {
        if (admin.IsValueCreated)
        {
            await (await admin.Value).DisposeAsync();
        }
    }
}
