using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

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

[OptionsValidator]
public sealed partial class MonitorOptionsValidator : IValidateOptions<MonitorOptions>;
