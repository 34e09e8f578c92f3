using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Monitor;

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
public sealed partial class TuningOptionsValidator : IValidateOptions<TuningOptions>;
