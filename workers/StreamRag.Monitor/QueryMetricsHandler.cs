using System.Globalization;
using System.Runtime.InteropServices;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>A sampled query the monitor repeats exactly to measure recall.</summary>
internal sealed record RecallSample(DateTimeOffset At, string Tenant, float[] Vector, int K, string? FiltersJson, int? Ef, string[] ResultIds);

/// <summary>
/// Reads query-metrics entries into the rolling window, and queues the sampled ones for recall
/// measurement. Never rejects an entry: a malformed one is counted and acknowledged (metrics are
/// best-effort and must not pile up in a dead-letter stream).
/// </summary>
internal sealed partial class QueryMetricsHandler(
    QueryWindow window,
    RecallSampleQueue samples,
    MonitorMetrics metrics,
    TimeProvider time,
    ILogger<QueryMetricsHandler> logger) : IStreamEntryHandler
{
    public Task<EntryOutcome[]> HandleAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var outcomes = new EntryOutcome[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            outcomes[i] = EntryOutcome.Ack;
            if (!TryParse(entries[i], out var observation, out var sample))
            {
                metrics.Malformed.Add(1);
                Log.Malformed(logger, (string?)entries[i].Id);
                continue;
            }

            window.Add(observation, now);
            metrics.Ingested.Add(1);
            if (sample is not null)
            {
                samples.Add(sample);
            }
        }

        return Task.FromResult(outcomes);
    }

    internal static bool TryParse(StreamEntry entry, out QueryObservation observation, out RecallSample? sample)
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

        TryMs(fields, QueryMetricsFields.QueueMs, out var queue);
        TryMs(fields, QueryMetricsFields.EmbedMs, out var embed);
        TryMs(fields, QueryMetricsFields.SearchMs, out var search);
        int? ef = TryInt(fields, QueryMetricsFields.Ef, out var e) ? e : null;
        var at = StreamEntries.TimeOf(entry.Id);
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
