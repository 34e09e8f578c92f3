using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Hosting;

/// <summary>Trace export (configuration section <c>Telemetry</c>; docs/operations.md#tracing).</summary>
public sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "Telemetry";

    /// <summary>Where spans are sent over OTLP; no export when its endpoint is empty.</summary>
    [ValidateObjectMembers]
    public OtlpOptions Otlp { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Otlp.Endpoint) && Otlp.EndpointUri is null)
        {
            yield return new ValidationResult(
                $"Telemetry:Otlp:Endpoint must be an absolute http:// or https:// URI (e.g. http://localhost:4318), not '{Otlp.Endpoint}'",
                [nameof(Otlp)]);
        }
    }
}

[OptionsValidator]
public sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>;
