using StreamRag.Contracts;

namespace StreamRag.Client;

/// <summary>A standing query as an app registers it (<see cref="StreamRagClient.WatchAsync(string, WatchQueryOptions, CancellationToken)"/>).</summary>
public sealed record WatchQueryOptions
{
    /// <summary>The least score (the reply's scale, 0 to 1) a new passage needs to notify.</summary>
    public required double Threshold { get; init; }

    /// <summary>
    /// The stream the notifications go to; a key under <see cref="Redis.KeySchema.WatchStreamPrefix"/>
    /// (e.g. <c>rag:watch:my-app</c>), and with tokens required under the tenant's own
    /// <see cref="Redis.KeySchema.TenantWatchStreamPrefix"/>. Null: <c>{prefix}:watch:&lt;tenant&gt;:&lt;watch request id&gt;</c>, one stream per watch.
    /// </summary>
    public string? NotifyTo { get; init; }

    /// <summary>How long the watch lives (at most 30 days).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromDays(1);

    public QueryFilters Filters { get; init; } = QueryFilters.None;

    public string Tenant { get; init; } = DocumentEventParser.DefaultTenant;

    /// <summary>A signed tenant token granting <see cref="Tenant"/> <c>query</c>; the client's <see cref="StreamRagClient.Token"/> when null.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Resume a watch registered before (by a process that stopped) instead of registering a new one:
    /// its id, with <see cref="NotifyTo"/> and <see cref="After"/>.
    /// </summary>
    public string? WatchId { get; init; }

    /// <summary>
    /// Read the notifications after this stream id (the last one handled); null: from the registration on.
    /// With <see cref="ConsumerGroup"/>: where a group that does not exist yet starts.
    /// </summary>
    public string? After { get; init; }

    /// <summary>
    /// Read with this consumer group instead of from an id: Redis keeps the position, a notification is
    /// acknowledged when the caller asks for the next one, and a reader that restarts with the same
    /// <see cref="Consumer"/> gets first what it was handed but had not finished (at least once).
    /// Readers sharing a group share the notifications. A group serves one watch: entries of other
    /// watches in the same stream are acknowledged and skipped, so watches sharing a stream use groups of their own.
    /// </summary>
    public string? ConsumerGroup { get; init; }

    /// <summary>This reader's name in <see cref="ConsumerGroup"/>; keep it across restarts to resume what it had been handed.</summary>
    public string Consumer { get; init; } = Environment.MachineName;

    /// <summary>How long to wait for the registration's reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
