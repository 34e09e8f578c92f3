using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Index;

/// <summary>Default retention of documents whose event gives no expiry (configuration section <c>Retention</c>).</summary>
public sealed class RetentionOptions : IValidatableObject
{
    public const string Section = "Retention";

    private static readonly TimeSpan Longest = TimeSpan.FromDays(100 * 365);

    /// <summary>Retention per source label, counted from the document's timestamp (<c>Retention:DefaultBySource:crm = 30.00:00:00</c>).</summary>
    public Dictionary<string, TimeSpan> DefaultBySource { get; set; } = [];

    /// <summary>Retention of documents from any other source; none (kept until deleted) when unset.</summary>
    public TimeSpan? Default { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (source, retention) in DefaultBySource)
        {
            if (retention <= TimeSpan.Zero || retention > Longest)
            {
                yield return new ValidationResult($"Retention:DefaultBySource:{source} must be between 1 ms and 100 years, not {retention}", [nameof(DefaultBySource)]);
            }
        }

        if (Default is { } d && (d <= TimeSpan.Zero || d > Longest))
        {
            yield return new ValidationResult($"Retention:Default must be between 1 ms and 100 years, not {d}", [nameof(Default)]);
        }
    }
}

[OptionsValidator]
public sealed partial class RetentionOptionsValidator : IValidateOptions<RetentionOptions>;
