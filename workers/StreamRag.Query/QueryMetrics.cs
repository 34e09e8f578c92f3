using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Index;
using StreamRag.Redis;
using StreamRag.Telemetry;

namespace StreamRag.Query;

/// <summary>
/// Records each answered query twice: as OpenTelemetry instruments of this process, and as an
/// entry on the query-metrics stream that the monitor consumes (fleet-wide windows, alerts, and —
/// for a sampled share — recall measured against an exact search of the same vector). A sample
/// carries the pure vector-search candidates (the graph search's own top k), never the reply's
/// list after hybrid fusion or re-ranking, which an exact vector search could not match by
/// construction: the recall the monitor tunes search_ef by is the graph search's alone.
/// </summary>
internal sealed class QueryMetrics
{
    private readonly IVectorIndex index;
    private readonly RedisConnections connections;
    private readonly KeySchema keys;
    private readonly QueryOptions settings;
    private readonly Counter<long> requests;
    private readonly Counter<long> cache;
    private readonly Histogram<double> duration;
    private readonly Histogram<double> searchDuration;
    private readonly Histogram<double> queueWait;

    public QueryMetrics(IMeterFactory meters, IVectorIndex index, RedisConnections connections, KeySchema keys, IOptions<QueryOptions> options)
    {
        this.index = index;
        this.connections = connections;
        this.keys = keys;
        settings = options.Value;
        var meter = meters.Create(StreamRagTelemetry.MeterName);
        requests = meter.Counter<long>(Instruments.QueryHost.Requests);
        cache = meter.Counter<long>(Instruments.QueryHost.Cache);
        duration = meter.Histogram<double>(Instruments.QueryHost.Duration);
        searchDuration = meter.Histogram<double>(Instruments.QueryHost.SearchDuration);
        queueWait = meter.Histogram<double>(Instruments.QueryHost.QueueWait);
    }

    /// <param name="vectorCandidates">
    /// The pure vector-search top k of this query (<c>id#chunk</c>), when the reply's results are
    /// exactly that; null when they were fused with a text search or re-ranked, in which case a
    /// sampled query is searched again by vector alone, after its reply went out.
    /// </param>
    public void Record(QueryReply reply, QueryRequest? request, int ef, ReadOnlyMemory<float>? vector, IReadOnlyList<string>? vectorCandidates = null)
    {
        var status = reply.Error?.Code ?? "ok";
        requests.Add(1, new KeyValuePair<string, object?>("status", status));
        duration.Record(reply.Timings.TotalMs);
        if (reply.Timings.QueueMs is { } queueMs)
        {
            queueWait.Record(queueMs);
        }

        if (reply.Status == QueryReply.StatusOk)
        {
            searchDuration.Record(reply.Timings.SearchMs);
            cache.Add(1, new KeyValuePair<string, object?>("result", reply.Cache));
        }

        var fields = new List<NameValueEntry>(12)
        {
            new(QueryMetricsFields.Status, reply.Status),
            new(QueryMetricsFields.EmbedMs, Format(reply.Timings.EmbedMs)),
            new(QueryMetricsFields.SearchMs, Format(reply.Timings.SearchMs)),
            new(QueryMetricsFields.TotalMs, Format(reply.Timings.TotalMs)),
            new(QueryMetricsFields.Cache, reply.Cache),
            new(QueryMetricsFields.Results, reply.Results.Count),
        };
        if (reply.Timings.QueueMs is { } queue)
        {
            fields.Add(new(QueryMetricsFields.QueueMs, Format(queue)));
        }

        if (reply.Error is { } error)
        {
            fields.Add(new(QueryMetricsFields.ErrorCode, error.Code));
        }

        if (request is not null)
        {
            fields.Add(new(QueryMetricsFields.K, request.K));
            fields.Add(new(QueryMetricsFields.Ef, ef));
            if (vector is { } v && reply.Cache == "miss" && reply.Status == QueryReply.StatusOk && Random.Shared.NextDouble() < settings.RecallSampleRate)
            {
                fields.Add(new(QueryMetricsFields.Tenant, request.Tenant));
                fields.Add(new(QueryMetricsFields.Vector, MemoryMarshal.AsBytes(v.Span).ToArray()));
                if (!request.Filters.IsEmpty)
                {
                    fields.Add(new(QueryMetricsFields.Filters, QueryFilterJson.Write(request.Filters)));
                }

                if (vectorCandidates is null)
                {
                    _ = WriteSampleAsync(fields, request, v, ef);
                    return;
                }

                fields.Add(new(QueryMetricsFields.ResultIds, string.Join(',', vectorCandidates)));
            }
        }

        // Fire and forget: the caller already has its reply; a lost metrics entry costs nothing.
        _ = WriteAsync(fields.ToArray());
    }

    /// <summary>The sample of a fused or re-ranked query: its pure vector top k, searched again with the same effort and filters.</summary>
    private async Task WriteSampleAsync(List<NameValueEntry> fields, QueryRequest request, ReadOnlyMemory<float> vector, int ef)
    {
        try
        {
            var hits = await index.SearchAsync(new VectorQuery(request.Tenant, vector, request.K, request.Filters, ef), CancellationToken.None);
            fields.Add(new(QueryMetricsFields.ResultIds, string.Join(',', hits.Select(h => $"{h.DocumentId}#{h.Chunk}"))));
            await WriteAsync(fields.ToArray());
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or InvalidOperationException)
        {
            // A lost recall sample costs one measurement; the query itself was answered.
        }
    }

    private async Task WriteAsync(NameValueEntry[] fields)
    {
        var db = (await connections.GetSharedAsync()).GetDatabase();
        await db.StreamAddAsync(keys.QueryMetrics, fields, maxLength: settings.MetricsStreamLength, useApproximateMaxLength: true, flags: CommandFlags.FireAndForget);
    }

    private static string Format(double ms) => ms.ToString("0.###", CultureInfo.InvariantCulture);
}
