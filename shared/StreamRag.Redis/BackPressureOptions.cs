using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Redis;

/// <summary>Back-pressure settings (configuration section <c>BackPressure</c>).</summary>
public sealed class BackPressureOptions : IValidatableObject
{
    public const string Section = "BackPressure";

    /// <summary>Stop taking new events when used_memory / maxmemory reaches this.</summary>
    [Range(0.05, 1.0)]
    public double PauseAbove { get; set; } = 0.8;

    /// <summary>Take events again once usage falls below this (hysteresis, so the worker does not flap).</summary>
    [Range(0.01, 1.0)]
    public double ResumeBelow { get; set; } = 0.7;

    /// <summary>How often Redis memory is read.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ResumeBelow >= PauseAbove)
        {
            yield return new ValidationResult($"BackPressure:ResumeBelow ({ResumeBelow}) must be below BackPressure:PauseAbove ({PauseAbove})", [nameof(ResumeBelow)]);
        }
    }
}

[OptionsValidator]
public sealed partial class BackPressureOptionsValidator : IValidateOptions<BackPressureOptions>;
