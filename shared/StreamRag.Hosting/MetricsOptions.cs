using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Hosting;

/// <summary>Metrics export (configuration section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Port of the Prometheus scrape endpoint (<c>/metrics</c>); 0 turns it off.</summary>
    [Range(0, 65535)]
    public int PrometheusPort { get; set; }
}

[OptionsValidator]
public sealed partial class MetricsOptionsValidator : IValidateOptions<MetricsOptions>;
