using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>The monitor's windows and pace (configuration section <c>Monitor</c>).</summary>
public sealed class MonitorOptions
{
    public const string Section = "Monitor";

    /// <summary>Length of the rolling window query figures are computed over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often Redis is read, figures computed and alert rules evaluated.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Query-metrics entries taken by one read.</summary>
    [Range(1, 100_000)]
    public int ReadCount { get; set; } = 1_000;

    /// <summary>Reads per evaluation at most: bounds one evaluation's work when a backlog waits; the rest is read next time.</summary>
    [Range(1, 10_000)]
    public int MaxReadsPerEvaluation { get; set; } = 100;

    /// <summary>Most queries the window holds (the newest are kept); bounds the monitor's memory under heavy traffic.</summary>
    [Range(100, 10_000_000)]
    public int MaxWindowQueries { get; set; } = 200_000;
}

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

/// <summary>Search-effort tuning (configuration section <c>Tuning</c>).</summary>
public sealed class TuningOptions : IValidatableObject
{
    public const string Section = "Tuning";

    /// <summary>Whether the monitor adjusts <c>search_ef</c> at all (it still measures recall).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often recall is measured and the search effort reconsidered.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Lowest search effort the tuner sets.</summary>
    [Range(1, 4096)]
    public int MinEf { get; set; } = 16;

    /// <summary>Highest search effort the tuner sets.</summary>
    [Range(1, 4096)]
    public int MaxEf { get; set; } = 1024;

    /// <summary>Mean recall@k (graph search against exact search) must stay at or above this.</summary>
    [Range(0.0, 1.0)]
    public double RecallFloor { get; set; } = 0.95;

    /// <summary>p99 of the vector-search time at the current effort must stay at or under this (ms).</summary>
    [Range(0.001, 3_600_000)]
    public double LatencyBudgetMs { get; set; } = 50;

    /// <summary>Recall measurements at the current effort needed before recall counts.</summary>
    [Range(1, 100_000)]
    public int MinRecallSamples { get; set; } = 20;

    /// <summary>Queries at the current effort needed before their latency counts.</summary>
    [Range(1, 1_000_000)]
    public int MinLatencySamples { get; set; } = 50;

    /// <summary>Most exact searches per tuning round (each scans a whole partition: this bounds the monitor's load on Redis).</summary>
    [Range(1, 10_000)]
    public int MaxRecallChecks { get; set; } = 20;

    /// <summary>Sampled queries waiting for a recall check; older ones are dropped.</summary>
    [Range(1, 100_000)]
    public int SampleQueue { get; set; } = 1_000;

    /// <summary>Factor applied to the effort when recall is short.</summary>
    [Range(1.01, 10.0)]
    public double UpFactor { get; set; } = 1.5;

    /// <summary>Factor applied to the effort when the latency budget is exceeded.</summary>
    [Range(0.1, 0.99)]
    public double DownFactor { get; set; } = 0.75;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinEf > MaxEf)
        {
            yield return new ValidationResult($"Tuning:MinEf ({MinEf}) must not exceed Tuning:MaxEf ({MaxEf})", [nameof(MinEf), nameof(MaxEf)]);
        }
    }
}

[OptionsValidator]
public sealed partial class MonitorOptionsValidator : IValidateOptions<MonitorOptions>;

[OptionsValidator]
public sealed partial class AlertOptionsValidator : IValidateOptions<AlertOptions>;

[OptionsValidator]
public sealed partial class TuningOptionsValidator : IValidateOptions<TuningOptions>;
