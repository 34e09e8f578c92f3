using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>Alert thresholds (configuration section <c>Alerts</c>); each rule is described in docs/operations.md.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary><c>query_latency</c>: mean end-to-end query time over the window above this (ms).</summary>
    [Range(0.001, 3_600_000)]
    public double AvgLatencyMs { get; set; } = 100;

    /// <summary><c>search_slow</c>: p95 of the vector-search time over the window above this (ms).</summary>
    [Range(0.001, 3_600_000)]
    public double SearchP95Ms { get; set; } = 50;

    /// <summary>Latency rules judge a window only with at least this many queries in it.</summary>
    [Range(1, 1_000_000)]
    public int MinQueries { get; set; } = 10;

    /// <summary><c>memory_high</c>: used_memory above this fraction of maxmemory.</summary>
    [Range(0.01, 1.0)]
    public double MemoryRatio { get; set; } = 0.8;

    /// <summary><c>consumer_lag</c>: entries a worker group has not read yet, above this.</summary>
    [Range(1, long.MaxValue)]
    public long MaxConsumerLag { get; set; } = 1_000;

    /// <summary><c>dead_letters</c>: at least this many new dead letters on one stream within <see cref="DeadLetterWindow"/>.</summary>
    [Range(1, long.MaxValue)]
    public long DeadLetterGrowth { get; set; } = 1;

    /// <summary><c>dead_letters</c>: the window new dead letters are counted over; the alert resolves after a window without any.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan DeadLetterWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// <c>stuck_work</c>: a pending entry (read by a consumer, not acknowledged) that has gone this long
    /// without being delivered again, reclaimed or kept alive is stuck. Keep it above the fleet's
    /// <c>Consumer:ClaimIdle</c> (30 s), after which live consumers reclaim an abandoned entry.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxPendingIdle { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary><c>no_live_consumer</c>: a consumer not seen by Redis for this long counts as gone.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ConsumerDeadAfter { get; set; } = ConsumerLiveness.DefaultSeenWithin;

    /// <summary>
    /// <c>no_live_consumer</c>: how long a group may have no live consumer after it appears (or after
    /// the monitor starts watching it) before that counts: workers join their group a moment after
    /// they create it, and a fleet starting up must not page anyone.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan NoConsumerGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>After an alert resolves, the same alert does not fire again for this long (stops flapping).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Approximate cap of the alerts stream.</summary>
    [Range(100, 100_000_000)]
    public long StreamMaxLength { get; set; } = 10_000;
}

[OptionsValidator]
public sealed partial class AlertOptionsValidator : IValidateOptions<AlertOptions>;
