using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Hosting;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>A sampled query the monitor repeats exactly to measure recall.</summary>
internal sealed record RecallSample(DateTimeOffset At, string Tenant, float[] Vector, int K, string? FiltersJson, int? Ef, string[] ResultIds);

/// <summary>
/// Reads the query-metrics stream into the rolling window, and queues the sampled entries for recall
/// measurement. The monitor pulls at each evaluation, up to <see cref="MonitorOptions.ReadCount"/>
/// entries per read, with XREADGROUP NOACK: metrics are best-effort, so nothing is left pending and
/// nothing needs acknowledging, and a few reads per evaluation cost Redis far less than a blocking
/// reader waking for every query. A malformed entry is counted and skipped.
/// </summary>
internal sealed partial class QueryMetricsReader(
    RedisConnections connections,
    KeySchema keys,
    ConsumerGroupOptions consumer,
    QueryWindow window,
    RecallSampleQueue samples,
    IOptions<MonitorOptions> options,
    MonitorMetrics metrics,
    ILogger<QueryMetricsReader> logger)
{
    private readonly string consumerName = StreamRagHosting.ConsumerName(consumer, "monitor");
    private bool groupReady;

    /// <summary>Reads everything new (at most <see cref="MonitorOptions.MaxReadsPerEvaluation"/> reads); returns how many entries.</summary>
    public async Task<int> DrainAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var read = 0;
        for (var round = 0; round < options.Value.MaxReadsPerEvaluation; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            StreamEntry[] entries;
            try
            {
                await EnsureGroupAsync(db);
                entries = StreamEntries.ParseReadGroup(await db.ExecuteAsync("XREADGROUP", "GROUP", keys.MonitorGroup, consumerName,
                    "COUNT", options.Value.ReadCount, "NOACK", "STREAMS", keys.QueryMetrics, ">"));
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // The stream or the group was deleted: create it again next read.
                groupReady = false;
                continue;
            }

            Ingest(entries, now);
            read += entries.Length;
            if (entries.Length < options.Value.ReadCount)
            {
                break;
            }
        }

        return read;
    }

    private async Task EnsureGroupAsync(IDatabase db)
    {
        if (groupReady)
        {
            return;
        }

        try
        {
            await db.StreamCreateConsumerGroupAsync(keys.QueryMetrics, keys.MonitorGroup, "0-0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Already there.
        }

        groupReady = true;
    }

    internal void Ingest(IReadOnlyList<StreamEntry> entries, DateTimeOffset now)
    {
        foreach (var entry in entries)
        {
            if (!TryParse(entry, now, out var observation, out var sample))
            {
                metrics.Malformed.Add(1);
                Log.Malformed(logger, (string?)entry.Id);
                continue;
            }

            window.Add(observation, now);
            metrics.Ingested.Add(1);
            if (sample is not null)
            {
                samples.Add(sample);
            }
        }
    }

    /// <param name="now">When the entry is read: its time when its id's time is unknown (past year 9999).</param>
    internal static bool TryParse(StreamEntry entry, DateTimeOffset now, out QueryObservation observation, out RecallSample? sample)
    {
        observation = default;
        sample = null;
        var fields = new Dictionary<string, RedisValue>(StringComparer.Ordinal);
        foreach (var f in entry.Values)
        {
            fields[(string)f.Name!] = f.Value;
        }

        if (!TryMs(fields, QueryMetricsFields.TotalMs, out var total))
        {
            return false;
        }

        double? queue = TryMs(fields, QueryMetricsFields.QueueMs, out var q) ? q : null;
        TryMs(fields, QueryMetricsFields.EmbedMs, out var embed);
        TryMs(fields, QueryMetricsFields.SearchMs, out var search);
        int? ef = TryInt(fields, QueryMetricsFields.Ef, out var e) ? e : null;
        // The entry was added just before it is read, normally; that is the best guess when its id does not say.
        var at = StreamEntries.TimeOf(entry.Id) ?? now;
        observation = new QueryObservation(
            at,
            !fields.TryGetValue(QueryMetricsFields.Status, out var status) || status == QueryMetricsFields.StatusOk,
            queue,
            embed,
            search,
            total,
            fields.TryGetValue(QueryMetricsFields.Cache, out var cache) && cache == QueryMetricsFields.CacheHit,
            ef);

        if (observation.Ok && !observation.CacheHit
            && fields.TryGetValue(QueryMetricsFields.Vector, out var vectorField) && !vectorField.IsNullOrEmpty
            && fields.TryGetValue(QueryMetricsFields.Tenant, out var tenant) && !tenant.IsNullOrEmpty
            && fields.TryGetValue(QueryMetricsFields.ResultIds, out var ids)
            && TryInt(fields, QueryMetricsFields.K, out var k) && k > 0)
        {
            var bytes = (byte[])vectorField!;
            if (bytes.Length % sizeof(float) == 0)
            {
                var vector = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
                if (!BitConverter.IsLittleEndian)
                {
                    // The contract is little-endian; this host is not.
                    throw new PlatformNotSupportedException("big-endian hosts are not supported");
                }

                var resultIds = ((string?)ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
                fields.TryGetValue(QueryMetricsFields.Filters, out var filters);
                sample = new RecallSample(at, (string)tenant!, vector, k, (string?)filters, ef, resultIds);
            }
        }

        return true;
    }

    private static bool TryMs(Dictionary<string, RedisValue> fields, string name, out double value)
    {
        value = 0;
        return fields.TryGetValue(name, out var raw)
            && double.TryParse((string?)raw, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value) && value >= 0;
    }

    private static bool TryInt(Dictionary<string, RedisValue> fields, string name, out int value)
    {
        value = 0;
        return fields.TryGetValue(name, out var raw) && int.TryParse((string?)raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    private static partial class Log
    {
        [LoggerMessage(4000, LogLevel.Debug, "Query-metrics entry {Id} has no usable total_ms; skipped")]
        public static partial void Malformed(ILogger logger, string? id);
    }
}
