using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Index;

/// <summary>Limits and tuning of standing queries (configuration section <c>Watch</c>; docs/contract.md, "Watches").</summary>
public sealed class WatchOptions : IValidatableObject
{
    public const string Section = "Watch";

    /// <summary>Most live watches one tenant may have; a further one is refused with <c>watch_limit</c>.</summary>
    [Range(1, 1_000_000)]
    public int MaxPerTenant { get; set; } = 10_000;

    /// <summary>Most live watches of all tenants together; a further one is refused with <c>watch_limit</c>.</summary>
    [Range(1, 10_000_000)]
    public int MaxTotal { get; set; } = 100_000;

    /// <summary>Each <c>notify_to</c> stream is capped at about this many entries (<c>XADD MAXLEN ~</c>).</summary>
    [Range(1, 100_000_000)]
    public int NotifyMaxLength { get; set; } = 10_000;

    /// <summary>How long a notification made is remembered, so a redelivered event does not notify again.</summary>
    public TimeSpan DedupeRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Most watches one passage can notify (VSIM COUNT): the closest ones within the tenant's lowest
    /// threshold, before the watches' own thresholds and filters are checked.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxMatchesPerPassage { get; set; } = 32;

    /// <summary>Search effort of the match (VSIM EF over the watch set).</summary>
    [Range(1, 4_096)]
    public int SearchEf { get; set; } = 32;

    /// <summary>
    /// How the watch sets store query vectors: <c>Q8</c> (as the index does by default: scores within
    /// about 0.01 of exact, searched several times faster) or <c>NOQUANT</c> (exact float32). Fixed when
    /// a tenant's watch set is created by its first watch.
    /// </summary>
    [RegularExpression("^(Q8|NOQUANT)$")]
    public string Quantization { get; set; } = "Q8";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DedupeRetention < TimeSpan.FromMinutes(1) || DedupeRetention > TimeSpan.FromDays(365))
        {
            yield return new ValidationResult($"Watch:DedupeRetention must be between 1 minute and 365 days, not {DedupeRetention}", [nameof(DedupeRetention)]);
        }
    }
}

[OptionsValidator]
public sealed partial class WatchOptionsValidator : IValidateOptions<WatchOptions>;
